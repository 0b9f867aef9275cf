import Foundation
import IMAPProtocol
import Testing
@testable import IMAPMailbox
@testable import IMAPStore

@Suite("FolderCommands")
struct FolderCommandsTests {
    let maildir: ListingMaildir

    init() throws {
        maildir = try ListingMaildir()
        try maildir.makeFolders(["Sent", "A.B", "A.B.C", "X"])
    }

    var root: String { maildir.path }

    func name(_ text: String) -> IMAPMailboxName { IMAPMailboxName(text) }

    func folderNames() throws -> [String] {
        try MaildirFolders(root: root).list().map(\.imapName)
    }

    @Test func createMakesAFolderAndIgnoresATrailingSeparator() throws {
        let outcome = FolderCommands.create(name("Q."), root: root)
        #expect(outcome == .init(status: IMAPStatus(.ok, "Create completed"), affected: []))
        #expect(maildir.exists(".Q/maildirfolder") && maildir.exists(".Q/cur"))
        #expect(FolderCommands.create(name("Entw&APw-rfe.2024"), root: root).status.kind == .ok)
        #expect(maildir.exists(".Entw&APw-rfe.2024/new"))
        #expect(!maildir.exists(".Entw&APw-rfe"))  // Maildir++ needs no parent
        #expect(FolderCommands.create(name("inbox.foo"), root: root).status.kind == .ok)
        #expect(maildir.exists(".INBOX.foo/cur"))  // as Dovecot names it
        // A missing parent can be created later.
        #expect(FolderCommands.create(name("A"), root: root).status.kind == .ok)
    }

    @Test(arguments: [
        ("INBOX", IMAPResponseCode.alreadyExists), ("inbox", .alreadyExists), ("Sent", .alreadyExists), ("A.B.", .alreadyExists),
        ("bad/name", .cannot), ("A..B", .cannot), ("~x", .cannot), ("&Jjo", .cannot), (".x", .cannot), ("", .cannot),
        ("caf\u{e9}", .cannot),
    ])
    func createRefuses(text: String, code: IMAPResponseCode) {
        let outcome = FolderCommands.create(name(text), root: root)
        #expect(outcome.status.kind == .no)
        #expect(outcome.status.code == code)
        #expect(!outcome.status.text.isEmpty)
    }

    @Test func createExplainsAnInvalidName() {
        #expect(FolderCommands.create(name("bad/name"), root: root).status.text == "Invalid mailbox name: Name must not have '/' characters")
        #expect(FolderCommands.create(name("~x"), root: root).status.text == "Invalid mailbox name: Begins with '~'")
    }

    @Test func deleteLeavesChildrenAndSubscriptions() throws {
        try maildir.subscribe(["A.B"])
        let outcome = FolderCommands.delete(name("A.B"), root: root)
        #expect(outcome.status.kind == .ok)
        #expect(outcome.affected.map(\.imapName) == ["A.B"])
        #expect(try folderNames() == ["INBOX", "A.B.C", "Sent", "X"])
        #expect(try listing(#"LIST "" "A*""#, root: root) == [
            #"* LIST (\Noselect \HasChildren) "." A"#, #"* LIST (\Noselect \HasChildren) "." A.B"#,
            #"* LIST (\HasNoChildren) "." A.B.C"#,
        ])
        #expect(try Subscriptions.read(root: root).names.map(\.imapName) == ["A.B"])
    }

    @Test func deleteRefuses() {
        let inbox = FolderCommands.delete(name("inbox"), root: root)
        #expect(inbox.status.kind == .no && inbox.status.text == "INBOX can't be deleted")
        let missing = FolderCommands.delete(name("Nope"), root: root)
        #expect(missing.status == IMAPStatus(.no, code: .nonexistent, "Mailbox doesn't exist: Nope"))
        // A parent that is only implied by its children is not a folder.
        #expect(FolderCommands.delete(name("A"), root: root).status.code == .nonexistent)
        #expect(FolderCommands.delete(name("A/B"), root: root).status.code == .cannot)
    }

    @Test func renameMovesChildrenAndLeavesSubscriptions() throws {
        try maildir.subscribe(["A.B"])
        maildir.write(".A.B/new/1700000000.M1P1Q1.h", "Subject: x\n\nbody\n")
        let outcome = FolderCommands.rename(name("A.B"), to: name("Q"), root: root)
        #expect(outcome.status == IMAPStatus(.ok, "Rename completed"))
        #expect(outcome.affected.map(\.imapName) == ["A.B", "A.B.C"])
        #expect(try folderNames() == ["INBOX", "Q", "Q.C", "Sent", "X"])
        #expect(maildir.entries(".Q/new") == ["1700000000.M1P1Q1.h"])
        #expect(try Subscriptions.read(root: root).names.map(\.imapName) == ["A.B"])
    }

    @Test func renameRefuses() {
        #expect(FolderCommands.rename(name("X"), to: name("Sent"), root: root).status
                == IMAPStatus(.no, code: .alreadyExists, "Target mailbox already exists"))
        #expect(FolderCommands.rename(name("X"), to: name("inbox"), root: root).status.code == .alreadyExists)
        #expect(FolderCommands.rename(name("Nope"), to: name("Y"), root: root).status
                == IMAPStatus(.no, code: .nonexistent, "Mailbox doesn't exist: Nope"))
        #expect(FolderCommands.rename(name("A.B"), to: name("A.B.D"), root: root).status.text == "Can't rename mailbox under its own child")
        #expect(FolderCommands.rename(name("X"), to: name("a/b"), root: root).status.code == .cannot)
    }

    @Test func renamingInboxMovesItsMessagesAndKeepsIt() throws {
        maildir.write("new/1700000000.M1P1Q1.h,S=5", "a\n")
        maildir.write("cur/1700000001.M1P1Q1.h,S=5:2,Sa", "b\n")
        maildir.write("dovecot-keywords", "0 $Forwarded\n")
        let outcome = FolderCommands.rename(name("INBOX"), to: name("Old"), root: root)
        #expect(outcome.status.kind == .ok)
        #expect(outcome.affected == [.inbox])
        #expect(maildir.entries("new").isEmpty && maildir.entries("cur").isEmpty)
        #expect(maildir.entries(".Old/new") == ["1700000000.M1P1Q1.h,S=5"])
        #expect(maildir.entries(".Old/cur") == ["1700000001.M1P1Q1.h,S=5:2,Sa"])
        #expect(maildir.exists(".Old/dovecot-keywords") && maildir.exists(".Old/maildirfolder"))
        #expect(FolderCommands.rename(name("INBOX"), to: name("Old"), root: root).status.code == .alreadyExists)
    }

    @Test func subscribeNeedsAnExistingFolderUnsubscribeDoesNot() throws {
        #expect(FolderCommands.subscribe(name("X"), root: root).status == IMAPStatus(.ok, "Subscribe completed"))
        #expect(FolderCommands.subscribe(name("X"), root: root).status.kind == .ok)
        #expect(FolderCommands.subscribe(name("inbox"), root: root).status.kind == .ok)
        #expect(FolderCommands.subscribe(name("Ghost"), root: root).status
                == IMAPStatus(.no, code: .nonexistent, "Mailbox doesn't exist: Ghost"))
        #expect(FolderCommands.subscribe(name("A"), root: root).status.code == .nonexistent)
        #expect(try Subscriptions.read(root: root).names.map(\.imapName) == ["X", "INBOX"])
        #expect(FolderCommands.unsubscribe(name("Nothing"), root: root).status == IMAPStatus(.ok, "Unsubscribe completed"))
        #expect(FolderCommands.unsubscribe(name("X"), root: root).status.kind == .ok)
        #expect(try Subscriptions.read(root: root).names.map(\.imapName) == ["INBOX"])
        #expect(FolderCommands.unsubscribe(name("a/b"), root: root).status.code == .cannot)
    }
}

/// The same folder commands, one after another, to Dovecot 2.3 and to FolderCommands on twin
/// Maildirs: the tagged answers agree in kind (OK/NO), and LIST and LSUB agree afterwards.
@Suite(.enabled(if: ListingDovecotPeer.available, "Dovecot is not installed (apt-get install dovecot-imapd)"))
struct FolderCommandsDovecotTests {
    enum Step {
        case create(String), delete(String), rename(String, String), subscribe(String), unsubscribe(String)

        var imap: String {
            switch self {
            case .create(let name): "CREATE \"\(name)\""
            case .delete(let name): "DELETE \"\(name)\""
            case .rename(let old, let new): "RENAME \"\(old)\" \"\(new)\""
            case .subscribe(let name): "SUBSCRIBE \"\(name)\""
            case .unsubscribe(let name): "UNSUBSCRIBE \"\(name)\""
            }
        }

        func run(root: String) -> FolderCommands.Outcome {
            switch self {
            case .create(let name): FolderCommands.create(IMAPMailboxName(name), root: root)
            case .delete(let name): FolderCommands.delete(IMAPMailboxName(name), root: root)
            case .rename(let old, let new): FolderCommands.rename(IMAPMailboxName(old), to: IMAPMailboxName(new), root: root)
            case .subscribe(let name): FolderCommands.subscribe(IMAPMailboxName(name), root: root)
            case .unsubscribe(let name): FolderCommands.unsubscribe(IMAPMailboxName(name), root: root)
            }
        }
    }

    static let steps: [Step] = [
        .create("A.B.C"), .create("A.B."), .create("INBOX"), .create("A.B"), .create("bad/name"), .create("A..B"),
        .create("~x"), .create("&Jjo"), .create("&Jjo-"), .create("inbox.foo"), .create("INBOX.foo"), .subscribe("A.B"), .subscribe("Ghost"), .subscribe("A"),
        .subscribe("Inbox"), .unsubscribe("Nothing"), .delete("INBOX"), .delete("Nope"), .delete("A"),
        .rename("A.B", "Q"), .rename("Q", "Q.Z"), .rename("Q", "INBOX"), .rename("Nope", "Y"), .create("X"),
        .rename("X", "Q"), .subscribe("X"), .rename("X", "Y"), .delete("Q"), .create("Sent"),
        // Not RENAME INBOX: Dovecot 2.3 refuses it on Maildir ("NO [CANNOT] Renaming INBOX isn't
        // supported"); we do what RFC 3501 §6.3.5 describes (renamingInboxMovesItsMessagesAndKeepsIt).
    ]

    @Test func folderCommandsAgreeWithDovecot() throws {
        let ours = try ListingMaildir(), theirs = try ListingMaildir()
        let dovecot = try ListingDovecotPeer(maildir: theirs.path)
        defer { dovecot.removeScratch() }
        for step in Self.steps {
            let answer = try dovecot.imap("t " + step.imap)
            let kind = answer.components(separatedBy: "\r\n").first { $0.hasPrefix("t ") }.map { String($0.dropFirst(2).prefix(2)) }
            let outcome = step.run(root: ours.path)
            #expect(outcome.status.kind.rawValue == kind, "\(step.imap): Dovecot \(answer)")
        }
        // Deliberate: Dovecot 2.3 lists a deleted folder whose child remains as selectable
        // (`(\HasChildren) Q`) yet answers SELECT Q with "Mailbox doesn't exist"; we say \Noselect
        // (RFC 3501 §6.3.4), as Dovecot itself does for a top-level implied parent.
        let knownDifferences = [#"* LIST (\HasChildren) "." Q"#: #"* LIST (\Noselect \HasChildren) "." Q"#]
        for command in [#"LIST "" "*""#, #"LSUB "" "*""#] {
            let dovecotLines = normalisedGroups(try dovecot.imap("t " + command).components(separatedBy: "\r\n")
                .map { knownDifferences[$0] ?? $0 })
            let ourLines = normalisedGroups(try listing(command, root: ours.path))
            #expect(ourLines == dovecotLines, "\(command)")
        }
    }
}
