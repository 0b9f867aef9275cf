#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import IMAPStore

@Suite struct MailboxNameTests {
    @Test func mapsIMAPNamesToMaildirPlusPlusDirectories() throws {
        #expect(try MailboxName(imap: "Sent").directoryName == ".Sent")
        #expect(try MailboxName(imap: "Archive.2024").directoryName == ".Archive.2024")
        #expect(try MailboxName(imap: "Archive.2024").levels == ["Archive", "2024"])
        #expect(try MailboxName(imap: "Entw&APw-rfe").directoryName == ".Entw&APw-rfe")
        #expect(try MailboxName(imap: "Entw&APw-rfe").displayName == "Entwürfe")
        #expect(try MailboxName(imap: "Tom &- Jerry").directoryName == ".Tom &- Jerry")
        #expect(try MailboxName(imap: "inbox").isInbox)
        #expect(try MailboxName(imap: "INBOX").directoryName == nil)
    }

    @Test func readsDirectoryNamesBack() {
        #expect(MailboxName(directoryName: ".Archive.2024")?.levels == ["Archive", "2024"])
        #expect(MailboxName(directoryName: ".Entw&APw-rfe")?.displayName == "Entwürfe")
        #expect(MailboxName(directoryName: "..tsubame-deleted.1.2") == nil)
        #expect(MailboxName(directoryName: ".Bad&AGE-") == nil)
        #expect(MailboxName(directoryName: ".") == nil)
        #expect(MailboxName(directoryName: "cur") == nil)
        #expect(MailboxName(directoryName: ".INBOX") == nil)
    }

    static let refused: [String] = [
        "", "..", ".Sent", "Sent.", "a..b", "a/b", "../etc", "~root", "tab\there", "nul\u{0}", "del\u{7F}",
        "Entwürfe", "&AGE-", "Entw&APw", "c1\u{85}",
    ]

    @Test(arguments: refused)
    func refusesNamesThatCouldEscapeOrAreNotCanonical(_ name: String) {
        #expect(throws: MailboxName.Invalid.self) { try MailboxName(imap: name) }
    }

    @Test func boundsDepthAndLength() {
        #expect(throws: MailboxName.Invalid.tooDeep) {
            try MailboxName(levels: Array(repeating: "a", count: 21))
        }
        #expect(throws: MailboxName.Invalid.tooLong) {
            try MailboxName(levels: [String(repeating: "a", count: 201)])
        }
    }
}

@Suite struct MaildirFoldersTests {
    func name(_ imap: String) throws -> MailboxName { try MailboxName(imap: imap) }

    @Test func createsAFolderWithItsMarkerAndSubdirectories() throws {
        let root = try TemporaryDirectory()
        let folders = MaildirFolders(root: root.path)
        try folders.create(try name("Archive.2024"))
        #expect(try root.names(in: ".Archive.2024") == ["cur", "maildirfolder", "new", "tmp"])
        #expect(try folders.list() == [.inbox, try name("Archive.2024")])
        #expect(throws: MaildirFolders.Failure.alreadyExists(try name("Archive.2024"))) {
            try folders.create(try name("Archive.2024"))
        }
        #expect(throws: MaildirFolders.Failure.inbox) { try folders.create(.inbox) }
        // Nothing half made is left behind.
        #expect(try root.names(in: ".").filter { $0.hasPrefix("..") }.isEmpty)
    }

    @Test func listsOnlyWellFormedFolders() throws {
        let root = try TemporaryDirectory()
        for directory in [".Sent", ".Entw&APw-rfe", "..hidden", ".Bad&AGE-", "cur", "new", "tmp"] {
            try root.makeDirectory(directory)
        }
        try root.write(".notAFolder", "")
        let folders = MaildirFolders(root: root.path)
        #expect(try folders.list().map(\.displayName) == ["INBOX", "Entwürfe", "Sent"])
    }

    @Test func renamesAFolderWithItsChildren() throws {
        let root = try TemporaryDirectory()
        let folders = MaildirFolders(root: root.path)
        for folder in ["Work", "Work.2023", "Work.2023.Q1", "Workshop"] { try folders.create(try name(folder)) }
        try root.deliver(".Work.2023/new/1.M1P1.h")
        try folders.rename(try name("Work"), to: try name("Archive.Work"))
        #expect(try folders.list().map(\.displayName) == ["INBOX", "Archive.Work", "Archive.Work.2023", "Archive.Work.2023.Q1", "Workshop"])
        #expect(root.exists(".Archive.Work.2023/new/1.M1P1.h"))
    }

    @Test func refusesRenamesThatCannotWork() throws {
        let root = try TemporaryDirectory()
        let folders = MaildirFolders(root: root.path)
        for folder in ["A", "B", "A.x"] { try folders.create(try name(folder)) }
        #expect(throws: MaildirFolders.Failure.alreadyExists(try name("B"))) { try folders.rename(try name("A"), to: try name("B")) }
        #expect(throws: MaildirFolders.Failure.intoItself) { try folders.rename(try name("A"), to: try name("A.x.y")) }
        #expect(throws: MaildirFolders.Failure.notFound(try name("C"))) { try folders.rename(try name("C"), to: try name("D")) }
        #expect(throws: MaildirFolders.Failure.inbox) { try folders.rename(.inbox, to: try name("Old")) }
        try folders.create(try name("E.x"))
        // A child whose new name is taken stops the whole rename before anything moves.
        #expect(throws: MaildirFolders.Failure.alreadyExists(try name("E.x"))) { try folders.rename(try name("A"), to: try name("E")) }
        #expect(root.exists(".A"))
        #expect(root.exists(".A.x"))
    }

    @Test func deletesAFolderButNotItsChildren() throws {
        let root = try TemporaryDirectory()
        let folders = MaildirFolders(root: root.path)
        for folder in ["Old", "Old.Keep"] { try folders.create(try name(folder)) }
        try root.deliver(".Old/cur/1.M1P1.h:2,S")
        try folders.delete(try name("Old"))
        #expect(try folders.list().map(\.displayName) == ["INBOX", "Old.Keep"])
        #expect(try root.names(in: ".").filter { $0.hasPrefix("..") }.isEmpty)
        #expect(throws: MaildirFolders.Failure.notFound(try name("Old"))) { try folders.delete(try name("Old")) }
        #expect(throws: MaildirFolders.Failure.inbox) { try folders.delete(.inbox) }
    }

    @Test func createsTheSpecialUseFoldersOnceAndSubscribesThem() throws {
        let root = try TemporaryDirectory()
        let folders = MaildirFolders(root: root.path)
        try folders.create(try name("Sent"))
        let created = try folders.ensureSpecialUseFolders()
        #expect(created.map(\.displayName) == ["Drafts", "Trash", "Junk", "Archive"])
        #expect(try folders.ensureSpecialUseFolders().isEmpty)
        #expect(try folders.list().map(\.displayName) == ["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"])
        #expect(try Subscriptions.read(root: root.path).names == created)
        #expect(MaildirFolders.specialUseAttribute(of: try name("Junk")) == "\\Junk")
        #expect(MaildirFolders.specialUseAttribute(of: try name("Junk.Old")) == nil)
    }
}

@Suite struct SubscriptionsTests {
    @Test func writesDovecotsVersion2Format() throws {
        let names = try ["INBOX", "Archive.2024", "Entw&APw-rfe"].map { try MailboxName(imap: $0) }
        let subscriptions = Subscriptions(names: names + [names[0]])
        #expect(subscriptions.text == "V\t2\n\nINBOX\nArchive\t2024\nEntw&APw-rfe\n")
        #expect(Subscriptions(parsing: subscriptions.text) == subscriptions)
    }

    @Test func readsVersion1AndSkipsBadLines() {
        let subscriptions = Subscriptions(parsing: "INBOX\nArchive.2024\nBad&AGE-\n../x\n\nSent\n")
        #expect(subscriptions.names.map(\.displayName) == ["INBOX", "Archive.2024", "Sent"])
    }

    @Test func unescapesTabEscapes() {
        #expect(Subscriptions.tabUnescaped("a\u{1}tb\u{1}1c") == "a\tb\u{1}c")
        #expect(Subscriptions.tabEscaped("a\tb\u{1}c\n") == "a\u{1}tb\u{1}1c\u{1}n")
    }

    @Test func updatesTheFileUnderItsLock() throws {
        let root = try TemporaryDirectory()
        let sent = try MailboxName(imap: "Sent")
        try Subscriptions.update(root: root.path) { $0.add(sent) }
        try Subscriptions.update(root: root.path) { $0.add(.inbox) }
        try Subscriptions.update(root: root.path) { $0.remove(sent) }
        #expect(try root.read("subscriptions") == "V\t2\n\nINBOX\n")
        #expect(!root.exists("subscriptions.lock"))
    }
}
