import IMAPProtocol

/// Settings the mail store takes from tsubame.toml.
public struct IMAPMailConfiguration: Sendable, Equatable {
    /// APPENDLIMIT (RFC 7889): the largest message APPEND accepts, in octets.
    public var appendLimit: Int
    /// Keep the per-user cache (`tsubame-imap.sqlite` in the Maildir root); it can always be
    /// rebuilt from the Maildir.
    public var cacheEnabled: Bool

    public init(appendLimit: Int = 50 * 1024 * 1024, cacheEnabled: Bool = true) {
        self.appendLimit = appendLimit
        self.cacheEnabled = cacheEnabled
    }
}

/// Process-wide: one owner per open folder (the UID map, flags and MODSEQs, writes serialised),
/// shared by every session, delivery and POP3 in this process.
///
/// Blocking: every method that touches files runs on a storage thread.
public final class IMAPMailStore: Sendable {
    public init(configuration: IMAPMailConfiguration) {
        fatalError("IMAPMailbox: not built yet")
    }

    /// Opens a user's mail after login: makes the Maildir and the special-use folders (RFC 6154)
    /// when they are missing. Blocking.
    public func openAccount(maildir: String) throws -> IMAPAccountSession {
        fatalError("IMAPMailbox: not built yet")
    }

    /// Delivery placed `fileNames` in `folderPath`/new and gave them `uids` (MaildirMailbox
    /// .assignUIDs): the folder's sessions see them at their next command, IDLE at once. Any thread.
    public func noteDelivery(folderPath: String, fileNames: [String], uids: [UInt32]) {
        fatalError("IMAPMailbox: not built yet")
    }

    /// Something else in this process changed a folder (POP3 marked seen or deleted): its owner
    /// rescans at the next sync point and wakes IDLE sessions. Any thread.
    public func noteChange(folderPath: String) {
        fatalError("IMAPMailbox: not built yet")
    }
}
