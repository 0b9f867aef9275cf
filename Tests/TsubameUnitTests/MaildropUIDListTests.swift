import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import MaildirStore

/// POP3 answers the `P` field of a `dovecot-uidlist` record when there is one.
@Suite("Maildrop UIDLs from dovecot-uidlist")
struct MaildropUIDListTests {
    let maildir = NSTemporaryDirectory() + "tsubame-maildrop-uidlist-\(UUID().uuidString)"

    func put(_ location: String, _ content: String) {
        #expect(FileManager.default.createFile(atPath: "\(maildir)/\(location)", contents: Data(content.utf8)))
    }

    func makeMessages() throws {
        try MaildirStore.createMaildir(at: maildir)
        put("cur/1700000000.M1P1Q1.h,S=2,W=3:2,S", "a\n")
        put("new/1700000001.M1P1Q2.h,S=2,W=3", "b\n")
        put("new/1700000002.M1P1Q3.h,S=2,W=3", "c\n")
    }

    @Test func thePFieldWinsAndTheOrderStays() throws {
        try makeMessages()
        put("dovecot-uidlist", """
            3 V1700000000 N4 G0123456789abcdef0123456789abcdef
            1 W3 S2 P00000001dead :1700000000.M1P1Q1.h,S=2,W=3
            2 S2 W3 :1700000001.M1P1Q2.h,S=2,W=3
            3 G00aa P1700000002.M1P1Q3.h :1700000002.M1P1Q3.h,S=2,W=3

            """)
        let entries = try Maildrop.scan(maildir: maildir)
        #expect(entries.map(\.location) == ["cur/1700000000.M1P1Q1.h,S=2,W=3:2,S", "new/1700000001.M1P1Q2.h,S=2,W=3",
                                            "new/1700000002.M1P1Q3.h,S=2,W=3"])
        #expect(entries.map(\.uid) == ["00000001dead", "1700000001.M1P1Q2.h", "1700000002.M1P1Q3.h"])
    }

    @Test(arguments: [
        "",                                                  // empty file
        "1 1700000000 4\n1 P0dead :1700000000.M1P1Q1.h\n",   // version 1 has no fields
        "garbage\n1 P0dead :1700000000.M1P1Q1.h\n",          // no header
        "3 V1 N4\nx P0dead :1700000000.M1P1Q1.h\n",          // UID not a number
        "3 V1 N4\n1 P0dead 1700000000.M1P1Q1.h\n",           // no ":" before the name
        "3 V1 N4\n1 P\(String(repeating: "x", count: 71)) :1700000000.M1P1Q1.h\n",  // UIDL too long
        "3 V1 N4\n1 P :1700000000.M1P1Q1.h\n",               // empty P
        "3 V1 N4\n1 P0de\u{1}ad :1700000000.M1P1Q1.h\n",     // unprintable P
        "3 V1 N4\n99999999999 P0dead :1700000000.M1P1Q1.h\n", // UID out of range
    ])
    func brokenOrForeignUIDListsFallBackToTheRule(uidlist: String) throws {
        try makeMessages()
        put("dovecot-uidlist", uidlist)
        let entries = try Maildrop.scan(maildir: maildir)
        #expect(entries.map(\.uid) == ["1700000000.M1P1Q1.h", "1700000001.M1P1Q2.h", "1700000002.M1P1Q3.h"])
    }

    @Test func binaryGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var bytes = Array("3 V1 N2\n".utf8)
            bytes += (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: "\n"), UInt8(ascii: "P"), UInt8(ascii: "1"),
                 UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator)!
            }
            for (stem, uidl) in UIDListPOP3Reader.overrides(parsing: bytes) {
                #expect(!stem.isEmpty && !stem.contains(":"))
                #expect((1...70).contains(uidl.utf8.count))
            }
        }
    }

    @Test func aUIDListWithoutTheFileLeavesOthersAlone() throws {
        try makeMessages()
        put("dovecot-uidlist", "3 V1 N9\n7 P0dead :1600000000.M9P9Q9.h,S=2,W=3\n")
        #expect(try Maildrop.scan(maildir: maildir).map(\.uid)
                == ["1700000000.M1P1Q1.h", "1700000001.M1P1Q2.h", "1700000002.M1P1Q3.h"])
    }
}

/// The delivery observer hears of every local mailbox's copy, once durable.
@Suite("Delivery observer")
struct DeliveryObserverTests {
    let root = NSTemporaryDirectory() + "tsubame-observer-\(UUID().uuidString)"
    let pool = NIOThreadPool(numberOfThreads: 1)
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    @Test func seesEveryRecipientsMaildirAndTheFileName() async throws {
        pool.start()
        let seen = NIOLockedValueBox<[(String, String, Bool)]>([])
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool) { maildir, fileName in
            // Already in new/ when we are told.
            let present = FileManager.default.fileExists(atPath: "\(maildir)/new/\(fileName)")
            seen.withLockedValue { $0.append((maildir, fileName, present)) }
        }
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let bob = LocalMailbox(domain: "example.net", localPart: "bob")
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice, bob], remoteRecipients: [], reversePath: ""))
        let fileName = try await message.commit(ByteBuffer(string: "body\n"), on: loop).get()
        let calls = seen.withLockedValue { $0 }
        #expect(calls.map(\.0) == [store.maildirPath(for: alice), store.maildirPath(for: bob)])
        #expect(calls.allSatisfy { $0.1 == fileName && $0.2 })
    }

    @Test func aFailedDeliveryIsNotReported() async throws {
        pool.start()
        let seen = NIOLockedValueBox<Int>(0)
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool) { _, _ in
            seen.withLockedValue { $0 += 1 }
        }
        let alice = LocalMailbox(domain: "example.org", localPart: "alice")
        let broken = LocalMailbox(domain: "example.org", localPart: "broken")
        try FileManager.default.createDirectory(atPath: "\(root)/mail/example.org", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: store.maildirPath(for: broken), contents: Data()))
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice, broken], remoteRecipients: [], reversePath: ""))
        await #expect(throws: (any Error).self) { try await message.commit(ByteBuffer(string: "body\n"), on: loop).get() }
        #expect(seen.withLockedValue { $0 } == 0)
    }
}
