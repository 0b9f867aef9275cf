#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import MaildirStore
import MailQueue
import NIOConcurrencyHelpers

@Suite("Maildir store")
struct MaildirStoreTests {
    let root: String
    let pool = NIOThreadPool(numberOfThreads: 2)
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    init() {
        root = NSTemporaryDirectory() + "tsubame-store-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        pool.start()
    }

    func files(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func store() -> MaildirStore { MaildirStore(dataDirectory: root, hostname: "mx/test:1", threadPool: pool) }

    @Test func deliversOneFileHardLinkedToEveryMailbox() async throws {
        let store = store()
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let bob = LocalMailbox(domain: "example.org", localPart: "bob")
        let name = MaildirName.make(hostname: store.hostname)
        let message = store.beginMessage(name: name, traceHeaders: "Return-Path: <>\n",
                                         plan: DeliveryPlan(mailboxes: [alice, bob], remoteRecipients: [], reversePath: ""))
        try await message.write(ByteBuffer(string: "Subject: x\n\n"), on: loop).get()
        let fileName = try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        #expect(fileName.hasSuffix(",S=33,W=37"))
        #expect(fileName.contains(".mx\\057test\\0721"))
        let alicePath = "\(store.maildirPath(for: alice))/new/\(fileName)"
        let bobPath = "\(store.maildirPath(for: bob))/new/\(fileName)"
        #expect(try String(contentsOfFile: alicePath, encoding: .utf8) == "Return-Path: <>\nSubject: x\n\nbody\n")
        var aliceInfo = stat(), bobInfo = stat()
        stat(alicePath, &aliceInfo)
        stat(bobPath, &bobInfo)
        #expect(aliceInfo.st_ino == bobInfo.st_ino)
        #expect(aliceInfo.st_nlink == 2)
        #expect(aliceInfo.st_mode & 0o777 == 0o600)
        #expect(files("\(store.maildirPath(for: alice))/tmp").isEmpty)
    }

    /// One destination: the spool file is renamed into new/ (nothing linked, nothing left in tmp/).
    @Test func theOnlyDestinationGetsTheSpoolFileItself() async throws {
        let store = store()
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let message = beginMessage(for: alice, in: store)
        try await message.write(ByteBuffer(string: "Subject: x\n\n"), on: loop).get()
        let spooled = try #require(files("\(store.maildirPath(for: alice))/tmp").first)
        var spoolInfo = stat()
        #expect(stat("\(store.maildirPath(for: alice))/tmp/\(spooled)", &spoolInfo) == 0)
        let fileName = try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        var info = stat()
        #expect(stat("\(store.maildirPath(for: alice))/new/\(fileName)", &info) == 0)
        #expect(info.st_ino == spoolInfo.st_ino && info.st_nlink == 1)
        #expect(try String(contentsOfFile: "\(store.maildirPath(for: alice))/new/\(fileName)", encoding: .utf8)
                == "X: y\nSubject: x\n\nbody\n")
        #expect(files("\(store.maildirPath(for: alice))/tmp").isEmpty)
    }

    /// A message for `mailbox` alone, with "X: y" as its trace header.
    func beginMessage(for mailbox: LocalMailbox, in store: MaildirStore) -> IncomingMessage {
        store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                           plan: DeliveryPlan(mailboxes: [mailbox], remoteRecipients: [], reversePath: ""))
    }

    @Test func discardLeavesNothing() async throws {
        let store = store()
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let message = beginMessage(for: alice, in: store)
        try await message.write(ByteBuffer(string: "partial"), on: loop).get()
        #expect(files("\(store.maildirPath(for: alice))/tmp").count == 1)
        try await message.discard(on: loop).get()
        #expect(files("\(store.maildirPath(for: alice))/tmp").isEmpty)
        #expect(files("\(store.maildirPath(for: alice))/new").isEmpty)
    }

    @Test func failedDeliveryLeavesNothingInNew() async throws {
        let store = store()
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let broken = LocalMailbox(domain: "example.org", localPart: "broken")
        // A file where broken's Maildir should be: creating it fails after alice's link exists.
        try FileManager.default.createDirectory(atPath: "\(root)/mail/example.org", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: store.maildirPath(for: broken), contents: Data()))
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice, broken], remoteRecipients: [], reversePath: ""))
        await #expect(throws: (any Error).self) { try await message.commit(ByteBuffer(string: "body\n"), on: loop).get() }
        #expect(files("\(store.maildirPath(for: alice))/new").isEmpty)
        #expect(files("\(store.maildirPath(for: alice))/tmp").isEmpty)
    }

    @Test func remoteRecipientsWaitInTheQueueWithTheirEnvelope() async throws {
        let queue = try SQLiteQueueStore(path: QueueFolder.databasePath(dataDirectory: root))
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool, queue: queue)
        let name = MaildirName.make(hostname: "h")
        let message = store.beginMessage(name: name, traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [], remoteRecipients: [NewQueuedRecipient(address: "far@remote.example")],
                                                            reversePath: "a@b.example", needs8BitMIME: true,
                                                            submittingAccount: "a@b.example"))
        let fileName = try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        #expect(files("\(root)/queue/messages") == [fileName])
        #expect(try String(contentsOfFile: "\(root)/queue/messages/\(fileName)", encoding: .utf8) == "X: y\nbody\n")
        #expect(files("\(root)/queue/new").isEmpty && files("\(root)/queue/tmp").isEmpty)
        let entry = try #require(try queue.entry(id: name.id))
        #expect(entry.message.fileName == fileName && entry.message.reversePath == "a@b.example")
        #expect(entry.message.needs8BitMIME && entry.message.submittingAccount == "a@b.example")
        #expect(entry.message.size == 10)
        #expect(entry.recipients.map(\.address) == ["far@remote.example"])
        #expect(entry.message.envelopeID == nil && entry.message.returnContent == nil)
        #expect(entry.recipients[0].notify == nil && entry.recipients[0].originalRecipient == nil)
    }

    /// RFC 3461: ENVID, RET and each recipient's NOTIFY and ORCPT reach the queue's rows.
    @Test func dsnParametersReachTheQueue() async throws {
        let queue = try SQLiteQueueStore(path: QueueFolder.databasePath(dataDirectory: root))
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool, queue: queue)
        let name = MaildirName.make(hostname: "h")
        let plan = DeliveryPlan(
            mailboxes: [], remoteRecipients: [
                NewQueuedRecipient(address: "bob@example.net", originalRecipient: "rfc822;bob+40example.net",
                                   notify: "SUCCESS,FAILURE"),
                NewQueuedRecipient(address: "carol@example.net", notify: "NEVER"),
            ], reversePath: "a@b.example", envelopeID: "abc+2Bdef", returnContent: .headers)
        let message = store.beginMessage(name: name, traceHeaders: "", plan: plan)
        _ = try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        let entry = try #require(try queue.entry(id: name.id))
        #expect(entry.message.envelopeID == "abc+2Bdef" && entry.message.returnContent == .headers)
        #expect(entry.recipients.map(\.notify) == ["SUCCESS,FAILURE", "NEVER"])
        #expect(entry.recipients.map(\.originalRecipient) == ["rfc822;bob+40example.net", nil])
    }

    /// The rows are written only once the file is in queue/messages (and that folder synced):
    /// a committed row never points to a missing file.
    @Test func theQueueRowsComeAfterTheDurableFile() async throws {
        let intake = RecordingIntake(messages: "\(root)/queue/messages")
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool, queue: intake)
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "",
                                         plan: DeliveryPlan(mailboxes: [], remoteRecipients: [NewQueuedRecipient(address: "far@remote.example")],
                                                            reversePath: ""))
        let fileName = try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        #expect(intake.filesSeenAtEnqueue.withLockedValue { $0 } == [[fileName]])
    }

    /// All or nothing: when the rows cannot be written, the client gets 451 and retries, so
    /// neither the queue file nor the local copies may stay.
    @Test func aFailedEnqueueUndoesEveryDelivery() async throws {
        let intake = RecordingIntake(messages: "\(root)/queue/messages", failure: QueueError.invalidInput("disk full"))
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool, queue: intake)
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [NewQueuedRecipient(address: "far@remote.example")],
                                                            reversePath: ""))
        await #expect(throws: QueueError.invalidInput("disk full")) {
            try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        }
        #expect(files("\(root)/queue/messages").isEmpty)
        #expect(files(store.maildirPath(for: alice) + "/new").isEmpty && files(store.maildirPath(for: alice) + "/tmp").isEmpty)
    }

    @Test func remoteRecipientsWithoutAQueueAreRefused() async throws {
        let message = store().beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "",
                                           plan: DeliveryPlan(mailboxes: [], remoteRecipients: [NewQueuedRecipient(address: "far@remote.example")],
                                                              reversePath: ""))
        await #expect(throws: NoOutboundQueue.self) { try await message.commit(ByteBuffer(string: "b\n"), on: loop).get() }
        #expect(files("\(root)/queue/messages").isEmpty)
    }

    // MARK: One message's operations run in order

    /// A pool as wide as the server's (`storage_threads` = 16), on which two submissions would
    /// run side by side in either order.
    func widePool() -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }

    @Test func discardRightAfterWritesLeavesNoFileAndNoDescriptor() async throws {
        let pool = widePool()
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool)
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        var discards: [EventLoopFuture<Void>] = []
        // As when clients vanish while their spills are queued: nobody waits for the writes.
        for _ in 0..<500 {
            let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                             plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
            for _ in 0..<2 { _ = message.write(ByteBuffer(repeating: UInt8(ascii: "x"), count: 16 * 1024), on: loop) }
            discards.append(message.discard(on: loop))
        }
        for discard in discards { try await discard.get() }
        #expect(files("\(store.maildirPath(for: alice))/tmp").isEmpty)
        #expect(OpenDescriptors.under(root).map(\.path) == [])
        try await pool.shutdownGracefully()
    }

    @Test func aWriteAfterDiscardFailsAndCreatesNothing() async throws {
        // One thread takes submissions first come, first served, so the discard runs first
        // and the late write after it, whatever the store does to keep them in order.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool)
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
        message.discard(on: loop)
        let late = message.write(ByteBuffer(string: "a spill that was still on its way\n"), on: loop)
        await #expect(throws: (any Error).self) { try await late.get() }
        #expect(files("\(store.maildirPath(for: alice))/tmp").isEmpty)
        #expect(OpenDescriptors.under(root).map(\.path) == [])
        try await pool.shutdownGracefully()
    }

    @Test func commitAfterAFailedWriteDeliversNothing() async throws {
        let store = store()
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let maildir = store.maildirPath(for: alice)
        // tmp/ is a plain file: the first write cannot create the spool file.
        for sub in ["new", "cur"] {
            try FileManager.default.createDirectory(atPath: "\(maildir)/\(sub)", withIntermediateDirectories: true)
        }
        #expect(FileManager.default.createFile(atPath: "\(maildir)/tmp", contents: Data()))
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
        await #expect(throws: (any Error).self) {
            try await message.write(ByteBuffer(string: "first part\n"), on: loop).get()
        }
        // The obstacle is gone, but the message has lost its first part: it must not be delivered.
        try FileManager.default.removeItem(atPath: "\(maildir)/tmp")
        try FileManager.default.createDirectory(atPath: "\(maildir)/tmp", withIntermediateDirectories: true)
        await #expect(throws: (any Error).self) {
            try await message.commit(ByteBuffer(string: "last part\n"), on: loop).get()
        }
        #expect(files("\(maildir)/new").isEmpty)
        #expect(files("\(maildir)/tmp").isEmpty)
    }

    @Test(.enabled(if: OpenDescriptors.areVisible))
    func aFailedCommitRemovesTheSpoolFile() async throws {
        let store = store()
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let maildir = store.maildirPath(for: alice)
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
        try await message.write(ByteBuffer(string: "Subject: x\n\n"), on: loop).get()
        let spool = try #require(OpenDescriptors.under(root).first)
        // A read-only descriptor takes the spool file's place, so the commit's write fails (EBADF)
        // as it would on a full disk; the file itself stays in tmp/ for the store to clean up.
        let readOnly = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(dup2(readOnly, spool.descriptor) == spool.descriptor)
        close(readOnly)
        await #expect(throws: (any Error).self) {
            try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        }
        #expect(files("\(maildir)/tmp").isEmpty)
        #expect(files("\(maildir)/new").isEmpty)
    }

    @Test func namesAreUnique() {
        let names = (0..<1000).map { _ in MaildirName.make(hostname: "h").base }
        #expect(Set(names).count == 1000)
    }
}

/// A queue intake that notes what queue/messages held when enqueue was called, and may fail.
final class RecordingIntake: QueueIntake, Sendable {
    let messages: String
    let failure: QueueError?
    let filesSeenAtEnqueue = NIOLockedValueBox<[[String]]>([])

    init(messages: String, failure: QueueError? = nil) {
        self.messages = messages
        self.failure = failure
    }

    func enqueue(_ message: NewQueuedMessage) throws {
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: messages)) ?? []).sorted()
        filesSeenAtEnqueue.withLockedValue { $0.append(present) }
        if let failure { throw failure }
    }
}
