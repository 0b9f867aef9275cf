import Testing
import TsubameConfig
@testable import TsubameServer

struct SendingRatesTests {
    static let minute: UInt64 = 60_000_000_000
    static let hour = 60 * minute

    func rates(messages: Int = 3, perMessage: Int = 2, recipients: Int = 5, maximumAccounts: Int = 100_000) -> SendingRates {
        var settings = SubmissionSettings()
        settings.maxMessagesPerHour = messages
        settings.maxRecipientsPerMessage = perMessage
        settings.maxRecipientsPerHour = recipients
        return SendingRates(settings: settings, maximumAccounts: maximumAccounts)
    }

    @Test func messagesPerHourStopAtTheLimitAndComeBackWithTime() {
        var rates = rates()
        let start: UInt64 = 1_000 * Self.hour
        let admitted1 = (0..<3).map { _ in rates.admitMessage(account: "alice@example.org", now: start) }
        #expect(admitted1 == [true, true, true])
        let admitted2 = rates.admitMessage(account: "alice@example.org", now: start)
        #expect(!admitted2)
        // Another account has its own budget; the name compares case-insensitively.
        let admitted3 = rates.admitMessage(account: "bob@example.org", now: start)
        #expect(admitted3)
        let admitted4 = rates.admitMessage(account: "ALICE@example.org", now: start + Self.minute)
        #expect(!admitted4)
        // A third of an hour gives back one of three messages.
        let admitted5 = rates.admitMessage(account: "alice@example.org", now: start + 20 * Self.minute + 1)
        #expect(admitted5)
        let admitted6 = rates.admitMessage(account: "alice@example.org", now: start + 20 * Self.minute + 2)
        #expect(!admitted6)
        // A full hour later the whole budget is back, never more.
        let later = start + 3 * Self.hour
        let admitted7 = (0..<4).map { _ in rates.admitMessage(account: "alice@example.org", now: later) }
        #expect(admitted7 == [true, true, true, false])
    }

    @Test func recipientsPerMessageAndPerHour() {
        var rates = rates()
        let now: UInt64 = 5 * Self.hour
        let admitted8 = rates.admitRecipient(account: "alice@example.org", recipientsInMessage: 0, now: now)
        #expect(admitted8)
        let admitted9 = rates.admitRecipient(account: "alice@example.org", recipientsInMessage: 1, now: now)
        #expect(admitted9)
        let admitted10 = rates.admitRecipient(account: "alice@example.org", recipientsInMessage: 2, now: now)
        #expect(!admitted10)
        // The hourly budget (5) is shared by the account's messages.
        let admitted11 = rates.admitRecipient(account: "alice@example.org", recipientsInMessage: 0, now: now)
        #expect(admitted11)
        let admitted12 = rates.admitRecipient(account: "alice@example.org", recipientsInMessage: 1, now: now)
        #expect(admitted12)
        let admitted13 = rates.admitRecipient(account: "alice@example.org", recipientsInMessage: 0, now: now)
        #expect(admitted13)
        let admitted14 = rates.admitRecipient(account: "alice@example.org", recipientsInMessage: 1, now: now)
        #expect(!admitted14)
        let admitted15 = rates.admitRecipient(account: "bob@example.org", recipientsInMessage: 0, now: now)
        #expect(admitted15)
    }

    @Test func newLimitsApplyToTheNextMessage() {
        var rates = rates(messages: 1)
        let admitted16 = rates.admitMessage(account: "a@example.org", now: Self.hour)
        #expect(admitted16)
        let admitted17 = rates.admitMessage(account: "a@example.org", now: Self.hour)
        #expect(!admitted17)
        rates.settings.maxMessagesPerHour = 10
        // The bucket refills towards the new capacity, at the new rate.
        let admitted18 = rates.admitMessage(account: "a@example.org", now: Self.hour + 6 * Self.minute + 1)
        #expect(admitted18)
    }

    @Test func memoryStaysBoundedUnderManyAccounts() {
        var rates = rates(maximumAccounts: 100)
        for index in 0..<1_000 {
            let admitted19 = rates.admitMessage(account: "user\(index)@example.org", now: Self.hour)
            #expect(admitted19)
        }
        #expect(rates.messages.count <= 100)
    }
}
