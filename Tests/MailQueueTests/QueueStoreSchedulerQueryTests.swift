import Foundation
import Testing
@testable import MailQueue

@Suite("Queue store: expiry, delay notices, administration")
struct QueueStoreSchedulerQueryTests {
    let t0 = QueueFixture.t0

    @Test func aMessageExpiresAfterTheLifetimeWithPendingRecipients() throws {
        let fixture = try QueueFixture(schedule: RetrySchedule(maximumLifetime: 3600))
        try fixture.store.enqueue(QueueFixture.message("Old", to: ["a@x.example", "b@x.example"]))
        try fixture.store.enqueue(QueueFixture.message("New", to: ["c@x.example"], at: t0.addingTimeInterval(1800)))
        #expect(try fixture.store.expiredMessages(now: t0.addingTimeInterval(3599)).isEmpty)
        #expect(try fixture.store.expiredMessages(now: t0.addingTimeInterval(3600)).map(\.message.id) == ["Old"])
        let failed = try fixture.store.failPending(messageID: "Old", reason: RecordedReply(
            text: "message expired after 1 hour", enhancedCode: "4.4.7"))
        #expect(failed.map(\.address) == ["a@x.example", "b@x.example"])
        #expect(failed.allSatisfy { $0.status == .failed && $0.lastEnhancedCode == "4.4.7" })
        #expect(try fixture.store.expiredMessages(now: t0.addingTimeInterval(3600)).isEmpty)
    }

    @Test func anExpiryKeepsEachRecipientsLastReply() throws {
        let fixture = try QueueFixture(schedule: RetrySchedule(maximumLifetime: 3600))
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example", "b@x.example"]))
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 1, recipientsPerBatch: 1)
        try fixture.store.record(.deferred(RecordedReply(text: "450 4.2.0 busy", enhancedCode: "4.2.0")),
                                 messageID: "M1", position: 0, at: t0)
        let failed = try fixture.store.failPending(messageID: "M1", reason: RecordedReply(
            text: "message expired", enhancedCode: "4.4.7"), keepingLastReply: true)
        #expect(failed.map(\.lastReply) == ["450 4.2.0 busy", "message expired"])
        #expect(failed.allSatisfy { $0.lastEnhancedCode == "4.4.7" })
    }

    @Test func aDelayNoticeIsDueOnceAfterTheWarningTime() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        let warning: TimeInterval = 4 * 3600
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 1, recipientsPerBatch: 50)
        try fixture.store.record(.deferred(RecordedReply(text: "451 later")), messageID: "M1", position: 0, at: t0)
        #expect(try fixture.store.messagesNeedingDelayNotice(now: t0.addingTimeInterval(warning - 1), warningAfter: warning).isEmpty)
        let due = try fixture.store.messagesNeedingDelayNotice(now: t0.addingTimeInterval(warning), warningAfter: warning)
        #expect(due.map(\.message.id) == ["M1"])
        try fixture.store.markDelayNoticeSent(messageID: "M1", positions: [0])
        #expect(try fixture.store.messagesNeedingDelayNotice(now: t0.addingTimeInterval(warning), warningAfter: warning).isEmpty)
        #expect(try fixture.store.entry(id: "M1")?.recipients[0].delayNoticeSent == true)
    }

    @Test func holdReleaseAndDeleteNameTheMessage() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        try fixture.store.setHeld(true, messageID: "M1")
        #expect(try fixture.reopened().entry(id: "M1")?.message.held == true)
        try fixture.store.setHeld(false, messageID: "M1")
        #expect(try fixture.store.entry(id: "M1")?.message.held == false)
        #expect(throws: QueueError.noSuchMessage("M9")) { try fixture.store.setHeld(true, messageID: "M9") }
        #expect(try fixture.store.delete(messageID: "M1") == "M1,S=10,W=11")
        #expect(try fixture.store.listEntries().isEmpty)
        #expect(throws: QueueError.noSuchMessage("M1")) { try fixture.store.delete(messageID: "M1") }
    }

    @Test func aLongPeerReplyIsStoredBounded() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 1, recipientsPerBatch: 50)
        try fixture.store.record(.deferred(RecordedReply(text: "451 " + String(repeating: "x", count: 100_000))),
                                 messageID: "M1", position: 0, at: t0)
        #expect(try fixture.store.entry(id: "M1")?.recipients[0].lastReply?.utf8.count == 2048)
    }
}
