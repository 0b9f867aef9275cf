import MaildirStore
import Testing
@testable import IMAPStore

/// POP3 (MaildirStore's `Maildrop`, which cannot import IMAPStore) and the uidlist IMAPStore
/// writes must agree on every message's UIDL, including a `P` Dovecot wrote differently.
@Suite("Maildrop reads the uidlist IMAPStore writes")
struct MaildropUIDListCrossTests {
    @Test func scanAnswersThePFieldsSynchronizeWrote() throws {
        let root = try TemporaryDirectory()
        for directory in ["cur", "new", "tmp"] { try root.makeDirectory(directory) }
        let long = String(repeating: "L", count: 80)  // over RFC 1939's 70: hashed by both rules
        try root.deliver("new/1700000002.M1P1Q2.host,S=20,W=21")
        try root.deliver("cur/1700000001.M1P1Q1.host,S=20,W=21:2,S")
        try root.deliver("new/\(long),S=20,W=21")
        let snapshot = try MaildirMailbox(path: root.path, root: root.path).synchronize()
        let scanned = try Maildrop.scan(maildir: root.path)
        let fromUIDList = Dictionary(uniqueKeysWithValues: snapshot.messages.map { ($0.location, $0.pop3UIDL) })
        #expect(scanned.count == 3)
        for entry in scanned { #expect(entry.uid == fromUIDList[entry.location], "\(entry.location)") }
    }

    @Test func aDovecotPFieldWins() throws {
        let root = try TemporaryDirectory()
        for directory in ["cur", "new", "tmp"] { try root.makeDirectory(directory) }
        try root.deliver("cur/1700000001.M1P1Q1.host,S=20,W=21:2,S")
        try root.deliver("new/1700000002.M1P1Q2.host,S=20,W=21")
        // As Dovecot's pop3_uidl_format=%08Xu%08Xv leaves it after a migration.
        try root.write("dovecot-uidlist", """
            3 V1700000000 N3 G0123456789abcdef0123456789abcdef
            1 P000000016555e400 W21 :1700000001.M1P1Q1.host,S=20,W=21

            """)
        let snapshot = try MaildirMailbox(path: root.path, root: root.path).synchronize()
        let scanned = try Maildrop.scan(maildir: root.path)
        #expect(scanned.map(\.uid) == ["000000016555e400", "1700000002.M1P1Q2.host"])
        let fromUIDList = Dictionary(uniqueKeysWithValues: snapshot.messages.map { ($0.location, $0.pop3UIDL) })
        for entry in scanned { #expect(entry.uid == fromUIDList[entry.location], "\(entry.location)") }
    }
}
