import Foundation
import IMAPMailbox
import IMAPStore
import Logging
import MaildirStore
import NIOCore
import NIOPosix
import Testing
@testable import TsubameServer

/// A delivery to a folder no session has selected leaves the numbering to the next sync, which
/// gives the waiting files their UIDs in delivery order, with POP3's UIDL in the P field.
@Suite("UIDs for delivered mail")
struct DeliveryUIDAssignmentTests {
    let root = NSTemporaryDirectory() + "tsubame-uid-assignment-\(UUID().uuidString)"
    let pool = NIOThreadPool(numberOfThreads: 2)
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let alice = LocalMailbox(domain: "example.org", localPart: "alice")
    let shared = SharedIMAPMailStore(configuration: IMAPMailConfiguration())

    init() {
        pool.start()
        _ = shared.store  // an IMAP store exists, as once any user has logged in over IMAP
    }

    func store() -> MaildirStore {
        MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool,
                     deliveryObserver: DeliveryUIDAssignment.observer(mailStore: shared, logger: Logger(label: "test")))
    }

    func deliver(_ store: MaildirStore, _ body: String) async throws -> String {
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
        return try await message.commit(ByteBuffer(string: body), on: loop).get()
    }

    func stem(_ fileName: String) -> String { String(fileName.split(separator: ",")[0]) }

    @Test func anUnselectedFolderIsNumberedAtItsNextSync() async throws {
        let store = store()
        var names: [String] = []
        for n in 1...3 { names.append(try await deliver(store, "body \(n)\n")) }
        let maildir = store.maildirPath(for: alice)
        // Acknowledged and durable in new/, with no uidlist record yet.
        #expect(!FileManager.default.fileExists(atPath: "\(maildir)/dovecot-uidlist"))
        #expect(names.allSatisfy { FileManager.default.fileExists(atPath: "\(maildir)/new/\($0)") })
        let snapshot = try MaildirMailbox(path: maildir, root: maildir).synchronize()
        #expect(snapshot.messages.map(\.uid) == [1, 2, 3])
        #expect(snapshot.messages.map { stem($0.fileName) } == names.map(stem))
        let uidlist = try String(contentsOfFile: "\(maildir)/dovecot-uidlist", encoding: .utf8)
        for name in names { #expect(uidlist.contains("P\(stem(name))")) }
    }
}
