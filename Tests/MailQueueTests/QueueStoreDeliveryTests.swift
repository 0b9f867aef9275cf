import Foundation
import Testing
@testable import MailQueue

@Suite("Queue store: claims, results, recovery")
struct QueueStoreDeliveryTests {
    let t0 = QueueFixture.t0

    @Test func claimsGroupRecipientsByMessageAndDomain() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example", "b@y.example", "c@X.example"]))
        try fixture.store.enqueue(QueueFixture.message("M2", to: ["d@x.example"]))
        let batches = try fixture.store.claimDue(now: t0, maximumBatches: 10, recipientsPerBatch: 50)
        let groups = batches.map { "\($0.message.id) \($0.destinationDomain) \($0.recipients.map(\.address))" }
        #expect(groups.sorted() == ["M1 x.example [\"a@x.example\", \"c@X.example\"]",
                                    "M1 y.example [\"b@y.example\"]", "M2 x.example [\"d@x.example\"]"])
    }

    @Test func aBatchHoldsAtMostTheLimitAndTheRestComeNext() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: (0..<120).map { "r\($0)@x.example" }))
        let first = try fixture.store.claimDue(now: t0, maximumBatches: 1, recipientsPerBatch: 50)
        let second = try fixture.store.claimDue(now: t0, maximumBatches: 5, recipientsPerBatch: 50)
        #expect(first.map(\.recipients.count) == [50])
        #expect(second.map(\.recipients.count) == [50])
        #expect(first[0].recipients.first?.address == "r0@x.example")
        #expect(second[0].recipients.first?.address == "r50@x.example")
        #expect(try fixture.store.claimDue(now: t0, maximumBatches: 5, recipientsPerBatch: 50).map(\.recipients.count) == [20])
    }

    @Test func aClaimRecordsTheAttemptBeforeAnyoneDials() throws {
        let fixture = try QueueFixture(jitter: 1)
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        let claimed = try #require(try fixture.store.claimDue(now: t0, maximumBatches: 1, recipientsPerBatch: 50).first)
        #expect(claimed.recipients[0].status == .inFlight && claimed.recipients[0].attempts == 1)
        let stored = try #require(try fixture.reopened().entry(id: "M1")).recipients[0]
        #expect(stored.status == .inFlight && stored.attempts == 1)
        #expect(stored.nextAttempt == t0.addingTimeInterval(330))  // 5 min + 10 % jitter
        // Claimed once: not handed out twice.
        #expect(try fixture.store.claimDue(now: t0.addingTimeInterval(3600), maximumBatches: 9, recipientsPerBatch: 50).isEmpty)
    }

    @Test func onlyDueRecipientsOfMessagesNotHeldAreClaimed() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("Future", to: ["a@x.example"], at: t0.addingTimeInterval(60)))
        try fixture.store.enqueue(QueueFixture.message("Held", to: ["b@x.example"]))
        try fixture.store.setHeld(true, messageID: "Held")
        #expect(try fixture.store.claimDue(now: t0, maximumBatches: 9, recipientsPerBatch: 50).isEmpty)
        try fixture.store.setHeld(false, messageID: "Held")
        #expect(try fixture.store.claimDue(now: t0, maximumBatches: 9, recipientsPerBatch: 50).map(\.message.id) == ["Held"])
        #expect(try fixture.store.claimDue(now: t0.addingTimeInterval(60), maximumBatches: 9, recipientsPerBatch: 50)
            .map(\.message.id) == ["Future"])
    }

    @Test func resultsAreRecordedPerRecipient() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["ok@x.example", "no@x.example", "later@x.example"]))
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 1, recipientsPerBatch: 50)
        let done = t0.addingTimeInterval(20)
        try fixture.store.record(.delivered(RecordedReply(text: "250 2.0.0 ok", enhancedCode: "2.0.0", remoteHost: "mx.x.example")),
                                 messageID: "M1", position: 0, at: done)
        try fixture.store.record(.failed(RecordedReply(text: "550 5.1.1 no such user", enhancedCode: "5.1.1")),
                                 messageID: "M1", position: 1, at: done)
        try fixture.store.record(.deferred(RecordedReply(text: "450 4.2.0 busy", enhancedCode: "4.2.0")),
                                 messageID: "M1", position: 2, at: done)
        let rows = try #require(try fixture.reopened().entry(id: "M1")).recipients
        #expect(rows.map(\.status) == [.delivered, .failed, .pending])
        #expect(rows[0].remoteHost == "mx.x.example" && rows[1].lastEnhancedCode == "5.1.1")
        #expect(rows[2].lastReply == "450 4.2.0 busy")
        // Deferred: due at the backoff counted from the reply, not at once.
        #expect(rows[2].nextAttempt == done.addingTimeInterval(300))
        #expect(try fixture.store.claimDue(now: done, maximumBatches: 9, recipientsPerBatch: 50).isEmpty)
        let retry = try fixture.store.claimDue(now: done.addingTimeInterval(300), maximumBatches: 9, recipientsPerBatch: 50)
        // A 5xx is never tried again (RFC 5321 §4.2.1); the delivered one neither.
        #expect(retry.flatMap(\.recipients).map(\.address) == ["later@x.example"])
        #expect(retry.flatMap(\.recipients).map(\.attempts) == [2])
    }

    @Test func aResultForARecipientNotInFlightIsRefused() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        #expect(throws: QueueError.notInFlight(messageID: "M1", position: 0)) {
            try fixture.store.record(.delivered(RecordedReply(text: "250 ok")), messageID: "M1", position: 0, at: t0)
        }
    }

    @Test func recoveryAfterACrashResendsOnlyWhatWasInFlightAndNotAtOnce() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["sent@x.example", "flying@x.example"]))
        try fixture.store.enqueue(QueueFixture.message("M2", to: ["waiting@y.example"], at: t0.addingTimeInterval(7200)))
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 9, recipientsPerBatch: 50)
        try fixture.store.record(.delivered(RecordedReply(text: "250 ok")), messageID: "M1", position: 0, at: t0)
        // The process dies here: "flying" is in flight. A new process opens the database.
        let restarted = try fixture.reopened()
        #expect(try restarted.recoverInterrupted() == 1)
        let rows = try #require(try restarted.entry(id: "M1")).recipients
        #expect(rows.map(\.status) == [.delivered, .pending])
        #expect(try restarted.claimDue(now: t0.addingTimeInterval(1), maximumBatches: 9, recipientsPerBatch: 50).isEmpty)
        let later = try restarted.claimDue(now: t0.addingTimeInterval(300), maximumBatches: 9, recipientsPerBatch: 50)
        #expect(later.flatMap(\.recipients).map(\.address) == ["flying@x.example"])
    }

    @Test func aMessageIsRemovedOnlyWhenNothingIsLeftToSend() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example", "b@x.example"]))
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 1, recipientsPerBatch: 50)
        try fixture.store.record(.delivered(RecordedReply(text: "250 ok")), messageID: "M1", position: 0, at: t0)
        #expect(try fixture.store.removeIfFinished(messageID: "M1") == nil)
        try fixture.store.record(.failed(RecordedReply(text: "550 no")), messageID: "M1", position: 1, at: t0)
        // The failure is still owed a report to the sender.
        #expect(try fixture.store.removeIfFinished(messageID: "M1") == nil)
        try fixture.store.markFailureReported(messageID: "M1", positions: [1])
        #expect(try fixture.store.removeIfFinished(messageID: "M1") == "M1,S=10,W=11")
        #expect(try fixture.store.entry(id: "M1") == nil)
    }
}
