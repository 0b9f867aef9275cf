#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPProtocol
import IMAPStore
@testable import IMAPMailbox
import NIOConcurrencyHelpers
import Testing
import Dispatch

/// Two sessions on one folder, delivery, and changes made behind the server's back.
@Suite struct SharedFolderTests {
    let maildir = TestMaildir()

    init() {
        maildir.put("new/1000000000.M1P1Q1.host,S=18,W=21", "Subject: a\n\nfirst\n", mtime: 1_000_000_000)
        maildir.put("new/1000000001.M1P1Q2.host,S=19,W=22", "Subject: b\n\nsecond\n", mtime: 1_000_000_001)
        maildir.put("new/1000000002.M1P1Q3.host,S=18,W=21", "Subject: c\n\nthird\n", mtime: 1_000_000_002)
    }

    @Test func otherSessionSeesStoreExpungeAndAppend() throws {
        let store = IMAPMailStore(configuration: IMAPMailConfiguration())
        let one = TestClient(try store.openAccount(maildir: maildir.path))
        let two = TestClient(try store.openAccount(maildir: maildir.path))
        _ = try one.send("a SELECT INBOX")
        let second = try two.send("a SELECT INBOX")
        #expect(second.contains("* 0 RECENT"))

        let woken = NIOLockedValueBox(0)
        two.session.watch { woken.withLockedValue { $0 += 1 } }

        _ = try one.send("b STORE 2 +FLAGS (\\Flagged)")
        #expect(woken.withLockedValue { $0 } >= 1)
        #expect(try two.send("b NOOP") == ["* 2 FETCH (FLAGS (\\Flagged))", "b OK NOOP completed."])

        _ = try one.send("c STORE 1 +FLAGS.SILENT (\\Deleted)")
        _ = try one.send("d EXPUNGE")
        // No EXPUNGE during FETCH (§7.4.1): numbers stay, the message is reported as gone.
        let fetch = try two.send("c FETCH 1:* FLAGS")
        #expect(fetch == [
            "* 2 FETCH (FLAGS (\\Flagged))", "* 3 FETCH (FLAGS ())",
            "c NO [EXPUNGEISSUED] Some of the requested messages no longer exist.",
        ])
        #expect(try two.send("d NOOP") == ["* 1 EXPUNGE", "d OK NOOP completed."])

        let append = try one.send("e APPEND INBOX (\\Seen) {6+}\r\nHi\r\n\r\n")
        #expect(append.last?.hasSuffix("4] Append completed.") == true)
        // The appending session took \Recent for the new message; the other hears EXISTS.
        #expect(try two.session.pendingUpdates() == [.untagged(.exists(3)), .untagged(.recent(0))])
        #expect(try two.send("g FETCH 3 (UID FLAGS)") == ["* 3 FETCH (UID 4 FLAGS (\\Seen))", "g OK Fetch completed."])
    }

    @Test func deliveryIsSeenWithoutAScan() throws {
        let store = IMAPMailStore(configuration: IMAPMailConfiguration())
        let client = TestClient(try store.openAccount(maildir: maildir.path))
        _ = try client.send("a SELECT INBOX")
        let woken = NIOLockedValueBox(false)
        client.session.watch { woken.withLockedValue { $0 = true } }

        let name = "1000000003.M1P1Q4.host,S=19,W=22"
        maildir.put("new/\(name)", "Subject: d\n\nfourth\n")
        let uids = try MaildirMailbox(path: maildir.path, root: maildir.path).assignUIDs(toDelivered: [name])
        #expect(uids == [4])
        store.noteDelivery(folderPath: maildir.path, fileNames: [name], uids: uids)
        #expect(woken.withLockedValue { $0 })
        #expect(try client.session.pendingUpdates() == [.untagged(.exists(4)), .untagged(.recent(4))])
        #expect(try client.send("b UID FETCH 4 RFC822.SIZE") == ["* 4 FETCH (UID 4 RFC822.SIZE 22)", "b OK Fetch completed."])
    }

    @Test func changesBehindOurBackAreNoticed() throws {
        let store = IMAPMailStore(configuration: IMAPMailConfiguration())
        let client = TestClient(try store.openAccount(maildir: maildir.path))
        _ = try client.send("a SELECT INBOX")
        // As Dovecot or a shell would: mark one seen (rename into cur/), remove another.
        rename("\(maildir.path)/new/1000000001.M1P1Q2.host,S=19,W=22", "\(maildir.path)/cur/1000000001.M1P1Q2.host,S=19,W=22:2,S")
        unlink("\(maildir.path)/new/1000000002.M1P1Q3.host,S=18,W=21")
        #expect(try client.send("b NOOP") == ["* 2 FETCH (FLAGS (\\Seen \\Recent))", "* 3 EXPUNGE", "* 2 RECENT", "b OK NOOP completed."])
        // A file removed after the scan: its FETCH finds nothing and the owner rescans.
        unlink("\(maildir.path)/new/1000000000.M1P1Q1.host,S=18,W=21")
        let fetch = try client.send("c FETCH 1 BODY.PEEK[]")
        #expect(fetch.last == "c OK Fetch completed." || fetch.last?.hasPrefix("c NO") == true)
        #expect(try client.send("d NOOP") == ["* 1 EXPUNGE", "* 1 RECENT", "d OK NOOP completed."])
    }

    @Test func noteChangeRescans() throws {
        let store = IMAPMailStore(configuration: IMAPMailConfiguration())
        let client = TestClient(try store.openAccount(maildir: maildir.path))
        _ = try client.send("a SELECT INBOX")
        let woken = NIOLockedValueBox(false)
        client.session.watch { woken.withLockedValue { $0 = true } }
        // POP3 in this process deleted a message.
        unlink("\(maildir.path)/new/1000000001.M1P1Q2.host,S=19,W=22")
        store.noteChange(folderPath: maildir.path)
        #expect(woken.withLockedValue { $0 })
        #expect(try client.session.pendingUpdates() == [.untagged(.expunge(2)), .untagged(.recent(2))])
    }

    @Test func deletedSelectedMailboxEndsTheOtherSession() throws {
        let store = IMAPMailStore(configuration: IMAPMailConfiguration())
        let one = TestClient(try store.openAccount(maildir: maildir.path))
        let two = TestClient(try store.openAccount(maildir: maildir.path))
        _ = try one.send("a SELECT Trash")
        // DELETE goes through FolderCommands (helper E); here the folder vanishes as a shell would do it.
        _ = system("rm -rf '\(maildir.path)/.Trash'")
        store.noteChange(folderPath: "\(maildir.path)/.Trash")
        #expect(throws: SelectedMailboxGone.self) { try one.send("b NOOP") }
        #expect(try two.send("c SELECT Trash") == ["c NO Mailbox doesn't exist: Trash"])
    }
}

/// Many sessions changing one folder from several threads at once: every change lands, no
/// UID is given twice, and each session's view ends consistent with the folder.
@Suite struct ConcurrencyTests {
    @Test func concurrentStoresAppendsAndFetches() throws {
        let maildir = TestMaildir()
        for index in 0..<40 {
            maildir.put("new/\(1_000_000_000 + index).M1P1Q\(index).host,S=18,W=21", "Subject: a\n\nfirst\n")
        }
        let store = IMAPMailStore(configuration: IMAPMailConfiguration())
        let clients = try (0..<4).map { _ in TestClient(try store.openAccount(maildir: maildir.path)) }
        for client in clients { _ = try client.send("a SELECT INBOX") }
        let failures = NIOLockedValueBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: clients.count) { worker in
            let client = clients[worker]
            do {
                for round in 0..<10 {
                    let number = worker * 10 + round + 1
                    _ = try client.send("b STORE \(number) +FLAGS (\\Flagged k\(worker))")
                    _ = try client.send("c APPEND INBOX {3+}\r\nx\r\n")
                    _ = try client.send("d FETCH 1:* FLAGS")
                }
            } catch {
                failures.withLockedValue { $0.append("\(error)") }
            }
        }
        #expect(failures.withLockedValue { $0 }.isEmpty)
        for client in clients {
            _ = try client.send("e NOOP")
            let fetch = try client.send("f UID FETCH 1:* FLAGS")
            #expect(fetch.count == 81)
            #expect(fetch.filter { $0.contains("\\Flagged") }.count == 40)
        }
        let uidList = try #require(maildir.read("dovecot-uidlist"))
        let uids = uidList.split(separator: "\n").dropFirst().compactMap { UInt32($0.prefix { $0 != " " }) }
        #expect(uids.count == 80)
        #expect(Set(uids).count == 80)
        #expect(maildir.read("dovecot-keywords")?.split(separator: "\n").count == 4)
    }
}
