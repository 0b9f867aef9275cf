#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaildirStore

/// A user's folders in the Maildir++ layout (Dovecot's default for `maildir:`): the root is
/// the INBOX; every other folder is a directory `.Level1.Level2` directly under it, with
/// cur/, new/, tmp/ and an empty `maildirfolder` marker (MAILDIR_SUBFOLDER_FILENAME).
///
/// Blocking: call from a storage thread.
public struct MaildirFolders: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        case alreadyExists(MailboxName)
        case notFound(MailboxName)
        /// The inbox cannot be created, deleted or renamed here (RFC 3501 §6.3.5's rename of
        /// INBOX moves its messages: a job for the mailbox owner).
        case inbox
        /// A folder cannot be renamed to below itself.
        case intoItself
    }

    /// The special-use folders (RFC 6154) created at first use, with their attributes.
    public static let specialUse: [(name: String, attribute: String)] = [
        ("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"), ("Junk", "\\Junk"), ("Archive", "\\Archive"),
    ]
    public static let folderMarker = "maildirfolder"

    public let root: String

    public init(root: String) { self.root = root }

    public func path(of name: MailboxName) -> String {
        name.directoryName.map { "\(root)/\($0)" } ?? root
    }

    public func mailbox(_ name: MailboxName) -> MaildirMailbox {
        MaildirMailbox(path: path(of: name), root: root)
    }

    public func exists(_ name: MailboxName) -> Bool {
        FileIO.isDirectory(path(of: name))
    }

    /// INBOX and every folder directory, sorted; entries that are not well-formed folder names
    /// (hidden `..` names, invalid modified UTF-7, plain files) are left out.
    public func list() throws -> [MailboxName] {
        var names: [MailboxName] = [.inbox]
        for entry in try DirectoryListing.names(in: root) where entry.hasPrefix(".") {
            if let name = MailboxName(directoryName: entry), FileIO.isDirectory("\(root)/\(entry)") { names.append(name) }
        }
        return names.sorted { $0.isInbox != $1.isInbox ? $0.isInbox : $0 < $1 }
    }

    /// Creates the folder (not its parents: Maildir++ needs none; LIST shows a missing parent
    /// as \NonExistent \HasChildren). The marker and subdirectories are made before the
    /// folder appears under its name, so no one sees it half made.
    public func create(_ name: MailboxName) throws {
        guard let directory = name.directoryName else { throw Failure.inbox }
        let target = "\(root)/\(directory)"
        if FileIO.exists(target) { throw Failure.alreadyExists(name) }
        let staging = "\(root)/..tsubame-create.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectory(staging)
        do {
            for sub in ["cur", "new", "tmp"] { try FileIO.makeDirectory("\(staging)/\(sub)") }
            try FileIO.touch("\(staging)/\(Self.folderMarker)")
            // rename() onto an existing empty directory would succeed: link-style check first.
            if FileIO.exists(target) { throw Failure.alreadyExists(name) }
            if Glibc.rename(staging, target) < 0 { throw FileIO.fail("rename", target) }
        } catch {
            try? FileIO.removeTree(staging)
            throw error
        }
        try FileIO.syncDirectory(root)
    }

    /// Renames a folder and every folder below it (`.A` → `.B`, `.A.x` → `.B.x`).
    public func rename(_ old: MailboxName, to new: MailboxName) throws {
        guard !old.isInbox, !new.isInbox else { throw Failure.inbox }
        if old == new || old.isAncestor(of: new) { throw Failure.intoItself }
        let children = try list().filter { old.isAncestor(of: $0) }
        guard exists(old) || !children.isEmpty else { throw Failure.notFound(old) }
        let moves = [(old, new)] + children.map { child in
            (child, MailboxName(unchecked: new.levels + child.levels.dropFirst(old.levels.count)))
        }
        for (_, target) in moves where exists(target) { throw Failure.alreadyExists(target) }
        for (source, target) in moves {
            guard let sourceDirectory = source.directoryName, let targetDirectory = target.directoryName,
                  FileIO.exists("\(root)/\(sourceDirectory)") else { continue }
            if Glibc.rename("\(root)/\(sourceDirectory)", "\(root)/\(targetDirectory)") < 0 {
                throw FileIO.fail("rename", "\(root)/\(sourceDirectory)")
            }
        }
        try FileIO.syncDirectory(root)
    }

    /// Deletes a folder with its messages; folders below it stay (they are their own
    /// directories). The folder is first renamed to a hidden `..` name, so it vanishes at
    /// once and a crash midway leaves nothing that looks like a folder.
    public func delete(_ name: MailboxName) throws {
        guard let directory = name.directoryName else { throw Failure.inbox }
        let path = "\(root)/\(directory)"
        guard FileIO.isDirectory(path) else { throw Failure.notFound(name) }
        let trash = "\(root)/..tsubame-deleted.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        if Glibc.rename(path, trash) < 0 { throw FileIO.fail("rename", path) }
        try FileIO.syncDirectory(root)
        try FileIO.removeTree(trash)
    }

    /// Creates the special-use folders that are missing and subscribes them; returns those
    /// created. Run at a user's first IMAP login.
    @discardableResult
    public func ensureSpecialUseFolders() throws -> [MailboxName] {
        var created: [MailboxName] = []
        for (level, _) in Self.specialUse {
            let name = MailboxName(unchecked: [level])
            if exists(name) { continue }
            do {
                try create(name)
                created.append(name)
            } catch Failure.alreadyExists {
                continue  // another session made it meanwhile
            }
        }
        if !created.isEmpty {
            try Subscriptions.update(root: root) { subscriptions in
                for name in created { subscriptions.add(name) }
            }
        }
        return created
    }

    /// The RFC 6154 attribute of a top-level special-use folder.
    public static func specialUseAttribute(of name: MailboxName) -> String? {
        guard name.levels.count == 1 else { return nil }
        return specialUse.first { $0.name == name.levels[0] }?.attribute
    }
}

extension MailboxName {
    /// Levels already known to be valid (built from checked names).
    init(unchecked levels: [String]) {
        // Every caller passes levels taken from valid names, so this cannot fail.
        self = (try? MailboxName(levels: levels)) ?? .inbox
    }
}
