#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import MaildirStore
@testable import IMAPStore

@Suite struct MaildirMailboxTests {
    let first = "1700000001.M500P10Q1.host,S=10,W=12"
    let second = "1700000001.M900P10Q2.host,S=20,W=22"
    let third = "1700000002.M100P10Q3.host,S=30,W=33"

    func makeMailbox() throws -> (TemporaryDirectory, MaildirMailbox) {
        let root = try TemporaryDirectory()
        for sub in ["cur", "new", "tmp"] { try root.makeDirectory(sub) }
        return (root, MaildirMailbox(path: root.path, root: root.path))
    }

    @Test func assignsUIDsInDeliveryOrderWithTheirPOP3UIDL() throws {
        let (root, mailbox) = try makeMailbox()
        // Written out of order; the name's time decides (seconds, then microseconds).
        try root.deliver("new/\(third)")
        try root.deliver("cur/\(first):2,S")
        try root.deliver("new/\(second)")
        let snapshot = try mailbox.synchronize()
        #expect(snapshot.messages.map(\.uid) == [1, 2, 3])
        #expect(snapshot.messages.map(\.location) == ["cur/\(first):2,S", "new/\(second)", "new/\(third)"])
        #expect(snapshot.messages.map(\.pop3UIDL) == ["1700000001.M500P10Q1.host", "1700000001.M900P10Q2.host", "1700000002.M100P10Q3.host"])
        #expect(snapshot.messages[0].flags.system == [.seen])
        #expect(snapshot.messages.map(\.virtualSize) == [12, 22, 33])
        #expect(snapshot.nextUID == 4)
        let text = try #require(try root.read("dovecot-uidlist"))
        #expect(text.hasPrefix("3 V\(snapshot.uidValidity) N4 G\(snapshot.mailboxGUID)\n"))
        #expect(text.contains("\n1 P1700000001.M500P10Q1.host :\(first)\n"))
        #expect(!root.exists("dovecot-uidlist.lock"))
    }

    @Test func keepsUIDsAcrossFlagChangesAndTheMoveToCur() throws {
        let (root, mailbox) = try makeMailbox()
        try root.deliver("new/\(first)")
        try root.deliver("new/\(second)")
        let before = try mailbox.synchronize()
        #expect(rename("\(root.path)/new/\(first)", "\(root.path)/cur/\(first):2,FS") == 0)
        let after = try mailbox.synchronize()
        #expect(after.uidValidity == before.uidValidity)
        #expect(after.messages.map(\.uid) == [1, 2])
        #expect(after.messages[0].location == "cur/\(first):2,FS")
        #expect(after.messages[0].flags.system == [.flagged, .seen])
    }

    @Test func appendsNewMessagesAndNeverReusesAUID() throws {
        let (root, mailbox) = try makeMailbox()
        try root.deliver("new/\(first)")
        try root.deliver("new/\(second)")
        _ = try mailbox.synchronize()
        // Expunge the last message, then a new one arrives: it gets 3, not 2.
        #expect(unlink("\(root.path)/new/\(second)") == 0)
        try root.deliver("new/\(third)")
        let snapshot = try mailbox.synchronize()
        #expect(snapshot.messages.map(\.uid) == [1, 3])
        #expect(snapshot.nextUID == 4)
        let reread = try #require(try mailbox.readUIDList())
        #expect(reread.records.map(\.fileStem) == [first, third])
    }

    @Test func appendsLinesWhenFilesWereOnlyAdded() throws {
        let (root, mailbox) = try makeMailbox()
        try root.deliver("new/\(first)")
        let one = try mailbox.synchronize()
        try root.deliver("new/\(second)")
        _ = try mailbox.synchronize()
        let text = try #require(try root.read("dovecot-uidlist"))
        // The header still says N2 (as Dovecot leaves it when appending); readers take 3.
        #expect(text.hasPrefix("3 V\(one.uidValidity) N2 "))
        #expect(text.hasSuffix("2 P1700000001.M900P10Q2.host :\(second)\n"))
        #expect(try mailbox.readUIDList()?.nextUID == 3)
    }

    @Test func keepsUIDsAndFieldsAnotherProgramWrote() throws {
        let (root, mailbox) = try makeMailbox()
        let guid = "0123456789abcdef0123456789abcdef"
        try root.write("dovecot-uidlist", "3 V1234 N50 G\(guid)\n41 W12 :\(first)\n")
        try root.deliver("cur/\(first):2,S")
        try root.deliver("new/\(second)")
        let snapshot = try mailbox.synchronize()
        #expect(snapshot.uidValidity == 1234)
        #expect(snapshot.mailboxGUID == guid)
        #expect(snapshot.messages.map(\.uid) == [41, 50])
        // No P on the record Dovecot made: its POP3 clients know that message by Dovecot's UIDL.
        let records = try #require(try mailbox.readUIDList()).records
        #expect(records[0].fields == ["W12"])
        #expect(records[1].pop3UIDL == "1700000001.M900P10Q2.host")
    }

    @Test func startsOverWithANewUIDVALIDITYWhenTheHeaderIsBroken() throws {
        let (root, mailbox) = try makeMailbox()
        try root.write("dovecot-uidlist", "garbage\n")
        try root.deliver("new/\(first)")
        let snapshot = try mailbox.synchronize()
        #expect(snapshot.uidValidity != 0)
        #expect(snapshot.messages.map(\.uid) == [1])
        #expect(try mailbox.readUIDList()?.uidValidity == snapshot.uidValidity)
    }

    @Test func waitsForTheLockAndGivesUpWithinTheBound() throws {
        let (root, _) = try makeMailbox()
        var mailbox = MaildirMailbox(path: root.path, root: root.path)
        mailbox.lockWait = 1
        let held = try DotLock.acquire(path: mailbox.uidListPath)
        #expect(throws: DotLock.Timeout.self) { try mailbox.synchronize() }
        held.release()
        #expect(try mailbox.synchronize().messages.isEmpty)
    }

    @Test func aNewMessageGetsTheUIDLTsubamesPOP3AlreadyAnswers() throws {
        let (root, mailbox) = try makeMailbox()
        let long = String(repeating: "x", count: 80)
        for name in [first, "plain-name", "\(long),S=1", "1700000003.M1P1Q9.host:2,S"] {
            try root.deliver(name.hasSuffix(":2,S") ? "cur/\(name)" : "new/\(name)")
        }
        let fromPOP3 = Dictionary(uniqueKeysWithValues: try Maildrop.scan(maildir: root.path).map {
            (String($0.location.dropFirst(4)), $0.uid)
        })
        for message in try mailbox.synchronize().messages {
            #expect(message.pop3UIDL == fromPOP3[message.fileName])
        }
    }
}

@Suite struct DeliveryOrderTests {
    @Test func sortsBySecondsThenMicrosecondsThenName() {
        let names = ["1700000002.M1P1.h", "1700000001.M20P1.h", "1700000001.M3P1.h", "other", "1700000001.M3P0.h"]
        #expect(names.sorted(by: DeliveryOrder.precedes) == ["other", "1700000001.M3P0.h", "1700000001.M3P1.h", "1700000001.M20P1.h", "1700000002.M1P1.h"])
    }

    @Test func keysAreTheSecondsAndTheMicroseconds() {
        #expect(DeliveryOrder.key("1700000001.M3P0.h") == (1_700_000_001, 3))
        #expect(DeliveryOrder.key("1700000001.P5M72Q1.host,S=10:2,S") == (1_700_000_001, 72))
        #expect(DeliveryOrder.key("12") == (12, 0))
        #expect(DeliveryOrder.key("12.noemm.M9") == (12, 0))
        #expect(DeliveryOrder.key("other") == (0, 0))
        #expect(DeliveryOrder.key("1234567890123456789012.M5") == (0, 5))
        #expect(POP3UIDL.of(fileName: "1700000001.M3P0.h,S=10:2,S") == "1700000001.M3P0.h")
        #expect(POP3UIDL.of(fileName: "é:2,") == "H" + String(POP3UIDL.of(fileName: "é").dropFirst()))
    }

    @Test func readsSizesFromTheName() {
        #expect(DeliveryOrder.sizeField("W", in: "1.M2P3.h,S=10,W=12:2,S") == 12)
        #expect(DeliveryOrder.sizeField("S", in: "1.M2P3.h,S=10,W=12") == 10)
        #expect(DeliveryOrder.sizeField("W", in: "1.M2P3.h") == nil)
    }
}

@Suite struct UIDsAtDeliveryTests {
    @Test func appendsLinesForDeliveredFilesAndKeepsListedOnes() throws {
        let root = try TemporaryDirectory()
        for sub in ["cur", "new", "tmp"] { try root.makeDirectory(sub) }
        let mailbox = MaildirMailbox(path: root.path, root: root.path)
        try root.deliver("new/1700000001.M1P1Q1.h,S=1,W=1")
        // No uidlist yet: a full synchronisation, which lists the file.
        #expect(try mailbox.assignUIDs(toDelivered: ["1700000001.M1P1Q1.h,S=1,W=1"]) == [1])
        try root.deliver("new/1700000002.M1P1Q2.h,S=1,W=1")
        try root.deliver("new/1700000003.M1P1Q3.h,S=1,W=1")
        #expect(try mailbox.assignUIDs(toDelivered: ["1700000003.M1P1Q3.h,S=1,W=1", "1700000002.M1P1Q2.h,S=1,W=1"]) == [2, 3])
        #expect(try mailbox.assignUIDs(toDelivered: ["1700000003.M1P1Q3.h,S=1,W=1"]) == [2])
        let text = try #require(try root.read("dovecot-uidlist"))
        #expect(text.hasSuffix("2 P1700000003.M1P1Q3.h :1700000003.M1P1Q3.h,S=1,W=1\n3 P1700000002.M1P1Q2.h :1700000002.M1P1Q2.h,S=1,W=1\n"))
        // A later scan agrees.
        #expect(try mailbox.synchronize().messages.map(\.uid) == [1, 2, 3])
    }

    /// Deliveries read only what others appended since the last one (DeliveryUIDLists): lines
    /// another writer added are seen (never a second line for a listed file), and a rewritten
    /// or damaged file is read whole.
    @Test func readsWhatOthersAppendedAndRereadsARewrittenFile() throws {
        let root = try TemporaryDirectory()
        for sub in ["cur", "new", "tmp"] { try root.makeDirectory(sub) }
        let mailbox = MaildirMailbox(path: root.path, root: root.path)
        func name(_ n: Int) -> String { "\(1_700_000_000 + n).M1P1Q\(n).h,S=1,W=1" }
        try root.deliver("new/\(name(1))")
        #expect(try mailbox.assignUIDs(toDelivered: [name(1)]) == [1])
        try root.deliver("new/\(name(2))")
        #expect(try mailbox.assignUIDs(toDelivered: [name(2)]) == [2])
        // Another writer (an IMAP scan, Dovecot) lists the next delivered file, and one more.
        try root.deliver("new/\(name(3))")
        try FileIO.append(path: mailbox.uidListPath, text: "7 :\(name(3))\n9 :\(name(9))\n")
        #expect(try mailbox.assignUIDs(toDelivered: [name(3)]) == [7])
        try root.deliver("new/\(name(4))")
        #expect(try mailbox.assignUIDs(toDelivered: [name(4)]) == [10])
        let lines = try #require(try root.read("dovecot-uidlist")).split(separator: "\n")
        #expect(lines.filter { $0.hasSuffix(":\(name(3))") }.count == 1)
        // Rewritten (a new inode, as Dovecot and Tsubame rewrite): read whole again.
        var list = try #require(try mailbox.readUIDList())
        list.records.removeAll { $0.uid == 9 }
        list.headerNextUID = 50
        try FileIO.replace(path: mailbox.uidListPath, with: list.text)
        try root.deliver("new/\(name(5))")
        #expect(try mailbox.assignUIDs(toDelivered: [name(5)]) == [50])
        // A partial line at the end (a writer that died mid-line): read whole, never guessed.
        try FileIO.append(path: mailbox.uidListPath, text: "51 :\(name(6))")
        try root.deliver("new/\(name(7))")
        let seventh = try mailbox.assignUIDs(toDelivered: [name(7)])
        #expect(seventh.count == 1 && seventh[0] > 50)
        #expect(try mailbox.synchronize().messages.map(\.uid).contains(seventh[0]))
    }
}

@Suite struct ConcurrentSynchronisationTests {
    @Test func twoWritersAtOnceAgreeOnEveryUID() async throws {
        let root = try TemporaryDirectory()
        for sub in ["cur", "new", "tmp"] { try root.makeDirectory(sub) }
        for number in 1...200 { try root.deliver("new/\(1_700_000_000 + number).M1P1Q\(number).h,S=1,W=1", "x") }
        let mailbox = MaildirMailbox(path: root.path, root: root.path)
        let snapshots = try await withThrowingTaskGroup(of: UIDListSnapshot.self) { group in
            for _ in 0..<4 { group.addTask { try mailbox.synchronize() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let expected = (1...200).map { UInt32($0) }
        for snapshot in snapshots {
            #expect(snapshot.messages.map(\.uid) == expected)
            #expect(snapshot.uidValidity == snapshots[0].uidValidity)
        }
        let list = try #require(try mailbox.readUIDList())
        #expect(list.records.count == 200)
        #expect(list.nextUID == 201)
    }
}

@Suite struct FlagChangeTests {
    @Test func renamesIntoCurAndKeepsTheUID() throws {
        let root = try TemporaryDirectory()
        for sub in ["cur", "new", "tmp"] { try root.makeDirectory(sub) }
        let mailbox = MaildirMailbox(path: root.path, root: root.path)
        try root.deliver("new/1700000001.M1P1Q1.h,S=1,W=1")
        let before = try mailbox.synchronize().messages[0]
        let flags = MaildirFlags(system: [.seen, .flagged], keywords: [1])
        let location = try mailbox.setFlags(flags, location: before.location)
        #expect(location == "cur/1700000001.M1P1Q1.h,S=1,W=1:2,FSb")
        #expect(try mailbox.setFlags(flags, location: location) == location)
        let after = try mailbox.synchronize().messages
        #expect(after.map(\.uid) == [before.uid])
        #expect(after[0].flags == flags)
        #expect(throws: StoreFileError.self) { try mailbox.setFlags(MaildirFlags(), location: "new/gone") }
    }
}
