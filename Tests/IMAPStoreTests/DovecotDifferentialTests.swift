import Foundation
import Testing
@testable import IMAPStore

/// Tsubame writes a Maildir with IMAPStore; Debian's Dovecot 2.3 reads it and must see the
/// same UIDVALIDITY, UIDs, flags, keywords, folders, subscriptions and POP3 UIDLs. Then
/// Dovecot changes it, and IMAPStore must keep Dovecot's UIDs.
@Suite(.enabled(if: DovecotPeer.available, "Dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d)"))
struct DovecotDifferentialTests {
    let first = "1700000001.M500P10Q1.host,S=25,W=25"
    let second = "1700000002.M1P10Q2.host,S=25,W=25"
    let third = "1700000003.M1P10Q3.host,S=25,W=25"
    static let message = "Subject: hi\r\n\r\nbody text\r\n"

    /// INBOX with three messages (one new, one seen, one flagged+answered with a keyword),
    /// `Archive.2024` with one, `Entwürfe`, the special-use folders, subscriptions.
    func writeMaildir(root: TemporaryDirectory) throws -> (inbox: UIDListSnapshot, archive: UIDListSnapshot) {
        let folders = MaildirFolders(root: root.path)
        for sub in ["cur", "new", "tmp"] { try root.makeDirectory(sub) }
        var keywords = MaildirKeywords()
        let label = keywords.indexAdding("$Label1") ?? 0
        try keywords.write(folder: root.path)
        try root.deliver("new/\(first)", Self.message)
        try root.deliver("cur/\(second):2,S", Self.message)
        try root.deliver("cur/" + MaildirFlags(system: [.flagged, .answered], keywords: [label]).fileName(base: third), Self.message)
        try folders.ensureSpecialUseFolders()
        let archive = try MailboxName(imap: "Archive.2024")
        try folders.create(archive)
        let drafts = try MailboxName(imap: "Entw&APw-rfe")
        try folders.create(drafts)
        try root.deliver(".Archive.2024/cur/\(first):2,S", Self.message)
        try Subscriptions.update(root: root.path) { subscriptions in
            subscriptions.add(.inbox)
            subscriptions.add(drafts)
        }
        return (try folders.mailbox(.inbox).synchronize(), try folders.mailbox(archive).synchronize())
    }

    @Test func dovecotSeesWhatTsubameWrote() throws {
        let root = try TemporaryDirectory()
        let scratch = try TemporaryDirectory()
        let (inbox, archive) = try writeMaildir(root: root)
        let dovecot = try DovecotPeer(maildir: root.path, scratch: scratch.path)
        let output = try dovecot.imap([
            "a LIST \"\" \"*\"", "b LSUB \"\" \"*\"", "c STATUS \"Archive.2024\" (UIDVALIDITY UIDNEXT)",
            "d SELECT INBOX", "e UID FETCH 1:* (FLAGS)", "f LOGOUT",
        ])
        let folders = try MaildirFolders(root: root.path).list().map(\.imapName)
        #expect(Set(IMAPAnswer.names(output, kind: "LIST")) == Set(folders))
        #expect(Set(IMAPAnswer.names(output, kind: "LIST")).contains("Entw&APw-rfe"))
        let subscribed = try Subscriptions.read(root: root.path).names.map(\.imapName)
        #expect(IMAPAnswer.names(output, kind: "LSUB").sorted() == subscribed.sorted())
        let status = try #require(IMAPAnswer.status(output))
        #expect(status.uidValidity == archive.uidValidity)
        #expect(status.uidNext == archive.nextUID)
        #expect(IMAPAnswer.uidValidity(output) == inbox.uidValidity)
        let keywords = try MaildirKeywords.read(folder: root.path)
        let expected = Dictionary(uniqueKeysWithValues: inbox.messages.map { message in
            (message.uid, (message.flags.system.compactMap(\.imapName) + keywords.keywordNames(of: message.flags)).sorted())
        })
        #expect(IMAPAnswer.flagsByUID(output) == expected)
        #expect(expected[3] == ["$Label1", "\\Answered", "\\Flagged"])

        let pop3 = try dovecot.pop3(["UIDL", "QUIT"])
        #expect(IMAPAnswer.uidls(pop3) == inbox.messages.map(\.pop3UIDL))
        #expect(IMAPAnswer.uidls(pop3).first == "1700000001.M500P10Q1.host")
    }

    @Test func tsubameKeepsTheUIDsDovecotAssigns() throws {
        let root = try TemporaryDirectory()
        let scratch = try TemporaryDirectory()
        let (before, _) = try writeMaildir(root: root)
        let dovecot = try DovecotPeer(maildir: root.path, scratch: scratch.path)
        let appended = "Subject: from dovecot\r\n\r\nhello\r\n"
        // Dovecot runs pipelined commands in parallel: one session per step keeps the order.
        _ = try dovecot.imap(["a SELECT INBOX", "b UID STORE 1 +FLAGS (\\Seen $Work)", "c UID STORE 2 +FLAGS (\\Deleted)", "d LOGOUT"])
        _ = try dovecot.imap(["a SELECT INBOX", "b UID EXPUNGE 2", "c LOGOUT"])
        let output = try dovecot.imap([
            "a APPEND INBOX (\\Flagged) {\(appended.utf8.count)+}\r\n\(appended)", "b CREATE Reports.2025",
            "c SUBSCRIBE Reports.2025", "d LOGOUT",
        ])
        let appendedUID = try #require(IMAPAnswer.appendUID(output))
        let after = try MaildirFolders(root: root.path).mailbox(.inbox).synchronize()
        #expect(after.uidValidity == before.uidValidity)
        #expect(after.messages.map(\.uid) == [1, 3, appendedUID])
        let keywords = try MaildirKeywords.read(folder: root.path)
        #expect(keywords.keywordNames(of: after.messages[0].flags) == ["$Work"])
        #expect(after.messages[0].flags.system == [.seen])
        #expect(after.messages[2].flags.system == [.flagged])
        // Dovecot's rewrites of the uidlist keep the P fields we wrote.
        let records = try #require(try MaildirFolders(root: root.path).mailbox(.inbox).readUIDList()).records
        #expect(records.first?.pop3UIDL == before.messages[0].pop3UIDL)
        let reports = try MailboxName(imap: "Reports.2025")
        #expect(try MaildirFolders(root: root.path).list().contains(reports))
        #expect(try Subscriptions.read(root: root.path).contains(reports))
        #expect(try Subscriptions.read(root: root.path).contains(.inbox))
    }
}
