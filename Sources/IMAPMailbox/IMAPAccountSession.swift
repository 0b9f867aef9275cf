import IMAPProtocol

/// The mailbox selected in a session (RFC 3501 §6.3.1, §6.3.2).
public struct IMAPSelection: Equatable, Sendable {
    public var name: IMAPMailboxName
    public var readOnly: Bool

    public init(name: IMAPMailboxName, readOnly: Bool) {
        self.name = name
        self.readOnly = readOnly
    }
}

/// One logged-in IMAP connection's view of its user's mail: the selected mailbox with the
/// session's own sequence numbers, and the updates owed to the client.
///
/// Used by one connection, one call at a time, from storage threads (hence @unchecked).
public final class IMAPAccountSession: @unchecked Sendable {
    /// The user's Maildir root (the INBOX).
    public let maildir: String

    init(maildir: String) {
        self.maildir = maildir
    }

    /// nil in the authenticated state.
    public var selection: IMAPSelection? { fatalError("IMAPMailbox: not built yet") }

    /// Runs one command of the authenticated or selected state: SELECT, EXAMINE, CREATE,
    /// DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, APPEND, CHECK, CLOSE,
    /// UNSELECT, EXPUNGE, UID EXPUNGE, SEARCH, FETCH, STORE, COPY, MOVE, NOOP (with their UID
    /// forms). A selected-state command without a selection answers BAD. `streamedLiterals[i]`
    /// is the file holding the frame's i-th streamed literal (from `temporaryLiteralPath()`);
    /// the run owns and removes them. Nothing happens until `writeNext`.
    public func start(_ command: IMAPTaggedCommand, streamedLiterals: [String] = []) -> IMAPCommandRun {
        fatalError("IMAPMailbox: not built yet")
    }

    /// Untagged updates for the selected mailbox since the session last heard (EXISTS, RECENT,
    /// EXPUNGE, FETCH FLAGS), noticing changes from outside the process (directory mtimes):
    /// for IDLE and for commands the session core answers itself. Blocking.
    public func pendingUpdates() throws -> [IMAPResponse] {
        fatalError("IMAPMailbox: not built yet")
    }

    /// Calls `wake` once (from any thread) when the selected mailbox changes in this process,
    /// or at once when updates are already pending. A new call replaces the old registration.
    public func watch(_ wake: @escaping @Sendable () -> Void) {
        fatalError("IMAPMailbox: not built yet")
    }

    public func unwatch() {
        fatalError("IMAPMailbox: not built yet")
    }

    /// A new file for a streamed literal, in the Maildir's tmp/ (so APPEND can rename it).
    public func temporaryLiteralPath() -> String {
        fatalError("IMAPMailbox: not built yet")
    }

    /// The connection ended: leaves the selected mailbox (no expunge, as on LOGOUT).
    public func close() {
        fatalError("IMAPMailbox: not built yet")
    }
}
