#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import MaildirStore

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

    @Test func discardLeavesNothing() async throws {
        let store = store()
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
        try await message.write(ByteBuffer(string: "partial"), on: loop).get()
        #expect(files("\(store.maildirPath(for: alice))/tmp").count == 1)
        message.discard(on: loop)
        try await Task.sleep(for: .milliseconds(200))
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

    @Test func remoteAliasTargetsWaitInTheQueueWithTheirEnvelope() async throws {
        let store = store()
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [], remoteRecipients: ["far@remote.example"],
                                                            reversePath: "a@b.example"))
        let fileName = try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        #expect(files("\(root)/queue/new") == [fileName, "\(fileName).envelope"])
        let envelope = try String(contentsOfFile: "\(root)/queue/new/\(fileName).envelope", encoding: .utf8)
        #expect(envelope == "sender a@b.example\nrecipient far@remote.example\n")
    }

    @Test func namesAreUnique() {
        let names = (0..<1000).map { _ in MaildirName.make(hostname: "h").base }
        #expect(Set(names).count == 1000)
    }
}
