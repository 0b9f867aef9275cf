import Foundation
import GRDB
import Testing
@testable import MailQueue

@Suite("Queue store: flush, bounce requests, failure reports")
struct QueueReportsTests {
    let t0 = QueueFixture.t0

    /// One claimed-and-deferred recipient (due at the backoff), one delivered, one pending.
    func deferredMessage(_ fixture: QueueFixture, _ id: String) throws {
        try fixture.store.enqueue(QueueFixture.message(id, to: ["late@x.example", "ok@x.example"]))
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 9, recipientsPerBatch: 50)
        try fixture.store.record(.deferred(RecordedReply(text: "451 later")), messageID: id, position: 0, at: t0)
        try fixture.store.record(.delivered(RecordedReply(text: "250 ok")), messageID: id, position: 1, at: t0)
    }

    @Test func flushMakesPendingRecipientsDueNowAndLeavesOthersAlone() throws {
        let fixture = try QueueFixture()
        try deferredMessage(fixture, "M1")
        let now = t0.addingTimeInterval(10)
        #expect(try fixture.store.claimDue(now: now, maximumBatches: 9, recipientsPerBatch: 50).isEmpty)
        let delivered = try #require(try fixture.store.entry(id: "M1")).recipients[1]
        #expect(try fixture.store.flush(messageID: "M1", now: now) == 1)
        let recipients = try #require(try fixture.store.entry(id: "M1")).recipients
        #expect(recipients[0].nextAttempt == now)
        #expect(recipients[1] == delivered)
        #expect(try fixture.store.claimDue(now: now, maximumBatches: 9, recipientsPerBatch: 50)
            .flatMap(\.recipients).map(\.address) == ["late@x.example"])
    }

    @Test func flushWithoutAnIdCoversEveryMessageAndKeepsOverdueTimes() throws {
        let fixture = try QueueFixture()
        try deferredMessage(fixture, "M1")
        try deferredMessage(fixture, "M2")
        try fixture.store.enqueue(QueueFixture.message("Fresh", to: ["a@y.example"]))  // due since t0
        let now = t0.addingTimeInterval(10)
        #expect(try fixture.store.flush(messageID: nil, now: now) == 3)
        #expect(try fixture.store.entry(id: "Fresh")?.recipients[0].nextAttempt == t0)
        #expect(try fixture.store.entry(id: "M2")?.recipients[0].nextAttempt == now)
    }

    @Test func flushOfAHeldMessageDoesNotReleaseIt() throws {
        let fixture = try QueueFixture()
        try deferredMessage(fixture, "M1")
        try fixture.store.setHeld(true, messageID: "M1")
        let now = t0.addingTimeInterval(10)
        #expect(try fixture.store.flush(messageID: "M1", now: now) == 0)
        let entry = try #require(try fixture.store.entry(id: "M1"))
        #expect(entry.message.held && entry.recipients[0].nextAttempt == now)
        #expect(try fixture.store.claimDue(now: now, maximumBatches: 9, recipientsPerBatch: 50).isEmpty)
        try fixture.store.setHeld(false, messageID: "M1")
        #expect(try fixture.store.claimDue(now: now, maximumBatches: 9, recipientsPerBatch: 50).count == 1)
    }

    @Test func flushAndBounceOfAnUnknownIdFail() throws {
        let fixture = try QueueFixture()
        #expect(throws: QueueError.noSuchMessage("NOPE")) { try fixture.store.flush(messageID: "NOPE", now: t0) }
        #expect(throws: QueueError.noSuchMessage("NOPE")) { try fixture.store.requestBounce(messageID: "NOPE") }
    }

    @Test func aBounceRequestIsListedWhileRecipientsArePending() throws {
        let fixture = try QueueFixture()
        try deferredMessage(fixture, "M1")
        try fixture.store.enqueue(QueueFixture.message("Other", to: ["b@x.example"]))
        #expect(try fixture.store.bounceRequestedMessages().isEmpty)
        try fixture.store.requestBounce(messageID: "M1")
        try fixture.store.requestBounce(messageID: "M1")  // twice is once
        let requested = try fixture.store.bounceRequestedMessages()
        #expect(requested.map(\.message.id) == ["M1"])
        #expect(requested[0].message.bounceRequested)
        #expect(requested[0].recipients.map(\.address) == ["late@x.example", "ok@x.example"])
        #expect(try fixture.reopened().entry(id: "M1")?.message.bounceRequested == true)
        _ = try fixture.store.failPending(messageID: "M1", reason: RecordedReply(text: "bounced by the administrator",
                                                                                 enhancedCode: "5.0.0"))
        #expect(try fixture.store.bounceRequestedMessages().isEmpty)
    }

    @Test func unreportedFailuresListOnlyThoseRecipientsUntilMarked() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["no@x.example", "ok@x.example", "also-no@x.example"]))
        _ = try fixture.store.claimDue(now: t0, maximumBatches: 9, recipientsPerBatch: 50)
        try fixture.store.record(.failed(RecordedReply(text: "550 no")), messageID: "M1", position: 0, at: t0)
        try fixture.store.record(.delivered(RecordedReply(text: "250 ok")), messageID: "M1", position: 1, at: t0)
        #expect(try fixture.store.unreportedFailures().flatMap(\.recipients).map(\.address) == ["no@x.example"])
        try fixture.store.record(.failed(RecordedReply(text: "550 no")), messageID: "M1", position: 2, at: t0)
        let owed = try fixture.store.unreportedFailures()
        #expect(owed.map(\.message.id) == ["M1"])
        #expect(owed[0].recipients.map(\.position) == [0, 2])
        #expect(try fixture.store.removeIfFinished(messageID: "M1") == nil)

        try fixture.store.markFailureReported(messageID: "M1", positions: [0])
        #expect(try fixture.store.unreportedFailures().flatMap(\.recipients).map(\.position) == [2])
        #expect(try fixture.store.removeIfFinished(messageID: "M1") == nil)
        try fixture.store.markFailureReported(messageID: "M1", positions: [2, 1])  // 1 is delivered: passed over
        #expect(try fixture.store.unreportedFailures().isEmpty)
        #expect(try fixture.store.entry(id: "M1")?.recipients.map(\.failureReported) == [true, false, true])
        #expect(try fixture.store.removeIfFinished(messageID: "M1") == "M1,S=10,W=11")
    }

    @Test func failuresByBounceOrExpiryAreOwedReportsToo() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        try fixture.store.requestBounce(messageID: "M1")
        _ = try fixture.store.failPending(messageID: "M1", reason: RecordedReply(text: "bounced by the administrator"))
        #expect(try fixture.store.unreportedFailures().map(\.message.id) == ["M1"])
        #expect(try fixture.store.removeIfFinished(messageID: "M1") == nil)
        #expect(try fixture.reopened().unreportedFailures().map(\.message.id) == ["M1"])  // survives a restart
    }

    @Test func aVersion1DatabaseIsMigratedWithItsRowsAndTheNewFlagsFalse() throws {
        let root = NSTemporaryDirectory() + "tsubame-queue-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let path = QueueFolder.databasePath(dataDirectory: root)
        do {
            let old = try DatabaseQueue(path: path)
            try QueueSchema.migrator.migrate(old, upTo: "v1")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO queue_messages (id, file_name, reverse_path, needs_8bitmime, needs_smtputf8, size,
                        arrived_at, expires_at, held)
                    VALUES ('Old', 'Old,S=5', 'a@example.org', FALSE, FALSE, 5, 1800000000, 1800432000, TRUE);
                    INSERT INTO queue_recipients (message_id, position, address, domain, status, attempts, next_attempt_at)
                    VALUES ('Old', 0, 'x@x.example', 'x.example', 'pending', 2, 1800000600),
                           ('Old', 1, 'y@x.example', 'x.example', 'failed', 1, 1800000300);
                    """)
            }
            try old.close()
        }
        let store = try SQLiteQueueStore(path: path, jitter: .fixed(0))
        let applied = try store.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1", "v2"])
        let entry = try #require(try store.entry(id: "Old"))
        #expect(entry.message.held && !entry.message.bounceRequested && entry.message.fileName == "Old,S=5")
        #expect(entry.recipients.map(\.address) == ["x@x.example", "y@x.example"])
        #expect(entry.recipients.map(\.attempts) == [2, 1])
        #expect(entry.recipients.map(\.failureReported) == [false, false])
        // v1 sent no reports: its failed recipient is still owed one.
        #expect(try store.unreportedFailures().flatMap(\.recipients).map(\.address) == ["y@x.example"])
    }
}
