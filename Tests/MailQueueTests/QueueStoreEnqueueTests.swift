import Foundation
import GRDB
import Testing
@testable import MailQueue

@Suite("Queue store: enqueue, schema")
struct QueueStoreEnqueueTests {
    @Test func enqueueStoresTheEnvelopeAndOnePendingRowPerRecipient() throws {
        let fixture = try QueueFixture()
        var message = QueueFixture.message("M1", to: ["Bob@Remote.Example", "carol@other.example"])
        message.envelopeID = "QQ314159"
        message.returnContent = .headers
        message.needs8BitMIME = true
        message.submittingAccount = "alice@example.org"
        message.headerPrefix = Data("From: a\n".utf8)
        try fixture.store.enqueue(message)

        let entry = try #require(try fixture.reopened().entry(id: "M1"))
        #expect(entry.message.envelopeID == "QQ314159" && entry.message.returnContent == .headers)
        #expect(entry.message.needs8BitMIME && !entry.message.needsSMTPUTF8 && !entry.message.held)
        #expect(entry.message.submittingAccount == "alice@example.org")
        #expect(entry.message.headerPrefix == Data("From: a\n".utf8))
        #expect(entry.message.expiry == QueueFixture.t0.addingTimeInterval(5 * 86_400))
        #expect(entry.recipients.map(\.address) == ["Bob@Remote.Example", "carol@other.example"])
        #expect(entry.recipients.map(\.destinationDomain) == ["remote.example", "other.example"])
        #expect(entry.recipients.allSatisfy { $0.status == .pending && $0.attempts == 0 })
        // RFC 5321 §4.5.4.1 leaves the first try to us: at once.
        #expect(entry.recipients.allSatisfy { $0.nextAttempt == QueueFixture.t0 })
    }

    @Test func aDuplicateIdIsRefusedAndLeavesTheFirstIntact() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        #expect(throws: QueueError.duplicateMessage("M1")) {
            try fixture.store.enqueue(QueueFixture.message("M1", to: ["b@y.example"]))
        }
        #expect(try fixture.store.entry(id: "M1")?.recipients.map(\.address) == ["a@x.example"])
    }

    @Test func aFailedEnqueueLeavesNoRows() throws {
        let fixture = try QueueFixture()
        // Same file name, new id: the UNIQUE constraint fails after the message row was written,
        // inside the same transaction, which must roll back as a whole.
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        var clash = QueueFixture.message("M2", to: ["b@y.example"])
        clash.fileName = "M1,S=10,W=11"
        #expect(throws: (any Error).self) { try fixture.store.enqueue(clash) }
        #expect(try fixture.store.entry(id: "M2") == nil)
        #expect(try fixture.store.listEntries().map(\.message.id) == ["M1"])
    }

    @Test func recipientCountIsBounded() throws {
        let fixture = try QueueFixture()
        #expect(throws: QueueError.invalidInput("a message without recipients")) {
            try fixture.store.enqueue(QueueFixture.message("E", to: []))
        }
        let many = (0...SQLiteQueueStore.maximumRecipients).map { "r\($0)@x.example" }
        #expect(throws: QueueError.tooManyRecipients(many.count)) {
            try fixture.store.enqueue(QueueFixture.message("L", to: many))
        }
    }

    @Test func theDatabaseIsWALWithFullSyncAndPrivate() throws {
        let fixture = try QueueFixture()
        let (mode, sync) = try fixture.store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL
        let attributes = try FileManager.default.attributesOfItem(atPath: QueueFolder.databasePath(dataDirectory: fixture.root))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func migrationsAreRecordedAndReopeningKeepsTheData() throws {
        let fixture = try QueueFixture()
        try fixture.store.enqueue(QueueFixture.message("M1", to: ["a@x.example"]))
        let reopened = try fixture.reopened()
        let applied = try reopened.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1", "v2"])
        #expect(try reopened.entry(id: "M1") != nil)
    }
}
