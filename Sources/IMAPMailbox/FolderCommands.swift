import IMAPProtocol
import IMAPStore

/// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 §6.3.3–§6.3.7) on the Maildir++
/// folders, with RFC 5530 response codes. The caller (the session, through the owners) makes
/// sure no owner keeps a deleted or renamed folder open. Blocking.
enum FolderCommands {
    /// The tagged status of the command; `affected` lists folders whose owners must be dropped.
    struct Outcome: Equatable, Sendable {
        var status: IMAPStatus
        var affected: [MailboxName]
    }

    static func create(_ name: IMAPMailboxName, root: String) -> Outcome {
        fatalError("IMAPMailbox: FolderCommands not built yet")
    }

    /// RFC 3501 §6.3.4: a folder with children becomes \Noselect (its messages go); INBOX
    /// cannot be deleted.
    static func delete(_ name: IMAPMailboxName, root: String) -> Outcome {
        fatalError("IMAPMailbox: FolderCommands not built yet")
    }

    /// RFC 3501 §6.3.5: renaming INBOX moves its messages to the new folder, INBOX stays.
    static func rename(_ old: IMAPMailboxName, to new: IMAPMailboxName, root: String) -> Outcome {
        fatalError("IMAPMailbox: FolderCommands not built yet")
    }

    static func subscribe(_ name: IMAPMailboxName, root: String) -> Outcome {
        fatalError("IMAPMailbox: FolderCommands not built yet")
    }

    static func unsubscribe(_ name: IMAPMailboxName, root: String) -> Outcome {
        fatalError("IMAPMailbox: FolderCommands not built yet")
    }
}
