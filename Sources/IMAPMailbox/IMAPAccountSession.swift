#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPProtocol
import IMAPStore
import MaildirStore
import NIOConcurrencyHelpers
import NIOCore

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
    let store: IMAPMailStore
    var selected: SelectedMailbox?
    private var wake: OnceWake?

    init(maildir: String, store: IMAPMailStore) {
        self.maildir = maildir
        self.store = store
    }

    /// nil in the authenticated state.
    public var selection: IMAPSelection? {
        selected.map { IMAPSelection(name: $0.wireName, readOnly: $0.readOnly) }
    }

    /// Runs one command of the authenticated or selected state: SELECT, EXAMINE, CREATE,
    /// DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, APPEND, CHECK, CLOSE,
    /// UNSELECT, EXPUNGE, UID EXPUNGE, SEARCH, FETCH, STORE, COPY, MOVE, NOOP (with their UID
    /// forms). A selected-state command without a selection answers BAD. `streamedLiterals[i]`
    /// is the file holding the frame's i-th streamed literal (from `temporaryLiteralPath()`);
    /// the run owns and removes them. Nothing happens until `writeNext`.
    public func start(_ command: IMAPTaggedCommand, streamedLiterals: [String] = []) -> IMAPCommandRun {
        let tag = command.tag
        let cleanup = { for path in streamedLiterals { unlink(path) } }
        if command.command.needsSelection, selected == nil {
            return IMAPCommandRun(cleanup: cleanup) { buffer, _ in
                buffer.writeImmutableBuffer(IMAPResponseEncoder.encode(.tagged(tag, IMAPStatus(.bad, "No mailbox selected."))))
                return true
            }
        }
        switch command.command {
        case .fetch(let set, let attributes, let uid):
            return FetchRun.make(session: self, tag: tag, set: set, attributes: attributes, uid: uid)
        default:
            return IMAPCommandRun(cleanup: cleanup) { [self] buffer, _ in
                let responses = try run(command.command, tag: tag, streamedLiterals: streamedLiterals)
                for response in responses { buffer.writeImmutableBuffer(IMAPResponseEncoder.encode(response)) }
                return true
            }
        }
    }

    /// The responses of a command that is not FETCH, updates included, tagged last.
    func run(_ command: IMAPCommand, tag: String, streamedLiterals: [String]) throws -> [IMAPResponse] {
        func tagged(_ kind: IMAPStatus.Kind, _ text: String) -> IMAPResponse {
            .tagged(tag, IMAPStatus(kind, text))
        }
        switch command {
        case .select(let name, _), .examine(let name, _):
            var examine = false
            if case .examine = command { examine = true }
            return try select(name, readOnly: examine, tag: tag)
        case .create(let name):
            return finishFolderCommand(FolderCommands.create(name, root: maildir), tag: tag)
        case .delete(let name):
            return finishFolderCommand(FolderCommands.delete(name, root: maildir), tag: tag)
        case .rename(let old, let new):
            return finishFolderCommand(FolderCommands.rename(old, to: new, root: maildir), tag: tag)
        case .subscribe(let name):
            return finishFolderCommand(FolderCommands.subscribe(name, root: maildir), tag: tag)
        case .unsubscribe(let name):
            return finishFolderCommand(FolderCommands.unsubscribe(name, root: maildir), tag: tag)
        case .list(let list):
            let responses = try MailboxListing(root: maildir).list(list) { [self] name, attributes in
                try? statusValues(of: name, attributes)
            }
            return responses + (try updates(allowExpunge: true)) + [tagged(.ok, "List completed.")]
        case .lsub(let reference, let pattern):
            let responses = try MailboxListing(root: maildir).lsub(reference: reference, pattern: pattern)
            return responses + (try updates(allowExpunge: true)) + [tagged(.ok, "Lsub completed.")]
        case .status(let name, let attributes):
            guard let mailbox = existingMailbox(name) else {
                return [tagged(.no, "Mailbox doesn't exist: \(Self.text(name))")]
            }
            let values = try statusValues(of: mailbox, attributes) ?? []
            return [.untagged(.mailboxStatus(name, values))] + (try updates(allowExpunge: true)) + [tagged(.ok, "Status completed.")]
        case .append(let name, let messages):
            return try append(to: name, messages, streamedLiterals: streamedLiterals, tag: tag)
        case .check:
            return try updates(allowExpunge: true) + [tagged(.ok, "Check completed.")]
        case .noop:
            return try updates(allowExpunge: true) + [tagged(.ok, "NOOP completed.")]
        case .close:
            if let selected, !selected.readOnly { _ = try? selected.owner.expunge(uids: nil) }
            leaveSelection()
            return [tagged(.ok, "Close completed.")]
        case .unselect:
            leaveSelection()
            return [tagged(.ok, "Unselect completed.")]
        case .expunge:
            return try expunge(uids: nil, tag: tag)
        case .uidExpunge(let set):
            guard let selected else { return [] }
            let ranges = MessageSets.uidRanges(set, uids: selected.uids)
            var chosen = Set<UInt32>()
            for range in ranges { for index in range { chosen.insert(selected.uids[index]) } }
            return try expunge(uids: chosen, tag: tag)
        case .search(let search, let uid):
            return try self.search(search, uid: uid, tag: tag)
        case .store(let set, let action, let uid):
            return try store(set, action, uid: uid, tag: tag)
        case .copy(let set, let target, let uid):
            return try copy(set, to: target, uid: uid, move: false, tag: tag)
        case .move(let set, let target, let uid):
            return try copy(set, to: target, uid: uid, move: true, tag: tag)
        case .fetch:
            return [tagged(.bad, "Unexpected FETCH.")]
        case .capability, .logout, .starttls, .authenticate, .login, .namespace, .enable, .id, .idle:
            return [tagged(.bad, "Unexpected command.")]
        }
    }

    // MARK: Selection

    private func select(_ wireName: IMAPMailboxName, readOnly: Bool, tag: String) throws -> [IMAPResponse] {
        var responses: [IMAPResponse] = []
        let name = existingMailbox(wireName)
        // Held before the old selection is left, so reselecting a folder keeps its owner.
        let owner = name.map { store.acquire(name: $0, root: maildir) }
        if selected != nil {
            // RFC 7162 §3.2.11: the old mailbox is closed without expunge.
            leaveSelection()
            responses.append(.untagged(.status(IMAPStatus(.ok, code: .closed, "Previous mailbox closed."))))
        }
        guard let name, let owner else {
            return responses + [.tagged(tag, IMAPStatus(.no, "Mailbox doesn't exist: \(Self.text(wireName))"))]
        }
        let view = SelectedMailbox(owner: owner, name: name, wireName: wireName, readOnly: readOnly)
        do {
            responses += try view.open()
        } catch {
            store.release(owner)
            if error is SelectedMailboxGone {
                return responses + [.tagged(tag, IMAPStatus(.no, "Mailbox doesn't exist: \(Self.text(wireName))"))]
            }
            throw error
        }
        selected = view
        if let wake, !wake.hasFired { owner.watch(ObjectIdentifier(self), wake.fire) }
        let done = readOnly ? IMAPStatus(.ok, code: .readOnly, "Examine completed.") : IMAPStatus(.ok, code: .readWrite, "Select completed.")
        return responses + [.tagged(tag, done)]
    }

    func leaveSelection() {
        guard let selected else { return }
        selected.owner.unwatch(ObjectIdentifier(self))
        store.release(selected.owner)
        self.selected = nil
    }

    /// The folder a client's name stands for, when it exists.
    func existingMailbox(_ wireName: IMAPMailboxName) -> MailboxName? {
        guard let text = String(validating: wireName.bytes, as: UTF8.self),
              let name = try? MailboxName(imap: text) else { return nil }
        let folders = MaildirFolders(root: maildir)
        return name.isInbox || folders.exists(name) ? name : nil
    }

    static func text(_ name: IMAPMailboxName) -> String {
        String(decoding: name.bytes, as: UTF8.self)
    }

    /// Updates for the selected mailbox, none without one.
    func updates(allowExpunge: Bool) throws -> [IMAPResponse] {
        guard let selected else { return [] }
        return try selected.updates(allowExpunge: allowExpunge)
    }

    // MARK: Folders

    private func finishFolderCommand(_ outcome: FolderCommands.Outcome, tag: String) -> [IMAPResponse] {
        var responses: [IMAPResponse] = []
        for name in outcome.affected {
            store.forget(name: name, root: maildir)
            if let selected, selected.name == name || name.isAncestor(of: selected.name), outcome.status.kind == .ok {
                // Our own selected mailbox went: back to the authenticated state.
                leaveSelection()
                responses.append(.untagged(.status(IMAPStatus(.ok, code: .closed, "Selected mailbox was deleted."))))
            }
        }
        let others = (try? updates(allowExpunge: true)) ?? []
        return responses + others + [.tagged(tag, outcome.status)]
    }

    /// STATUS values (RFC 3501 §6.3.10) of an existing folder.
    func statusValues(of name: MailboxName, _ attributes: [IMAPStatusAttribute]) throws -> [IMAPStatusValue]? {
        let owner = store.acquire(name: name, root: maildir)
        defer { store.release(owner) }
        return try owner.withSynchronizedState { state in
            attributes.map { attribute in
                switch attribute {
                case .messages: IMAPStatusValue(.messages, UInt32(state.messages.count))
                case .recent: IMAPStatusValue(.recent, UInt32(state.messages.count - state.lowerBound(state.recentBoundary)))
                case .uidNext: IMAPStatusValue(.uidNext, state.nextUID)
                case .uidValidity: IMAPStatusValue(.uidValidity, state.uidValidity)
                case .unseen: IMAPStatusValue(.unseen, UInt32(state.messages.count { !$0.flags.system.contains(.seen) }))
                }
            }
        }
    }

    // MARK: IDLE and the glue

    /// Untagged updates for the selected mailbox since the session last heard (EXISTS, RECENT,
    /// EXPUNGE, FETCH FLAGS), noticing changes from outside the process (directory mtimes):
    /// for IDLE and for commands the session core answers itself. Blocking.
    public func pendingUpdates() throws -> [IMAPResponse] {
        try updates(allowExpunge: true)
    }

    /// Calls `wake` once (from any thread) when the selected mailbox changes in this process,
    /// or at once when updates are already pending. A new call replaces the old registration.
    public func watch(_ wake: @escaping @Sendable () -> Void) {
        let once = OnceWake(wake)
        self.wake = once
        guard let selected else { return }
        if selected.hasPendingUpdates {
            once.fire()
        } else {
            selected.owner.watch(ObjectIdentifier(self), once.fire)
            // A change between the check and the registration would be missed: look again.
            if selected.hasPendingUpdates { once.fire() }
        }
    }

    public func unwatch() {
        wake = nil
        selected?.owner.unwatch(ObjectIdentifier(self))
    }

    /// A new file for a streamed literal, in the Maildir's tmp/ (so APPEND can rename it).
    public func temporaryLiteralPath() -> String {
        "\(maildir)/tmp/\(MaildirName.make(hostname: store.hostname).base).literal"
    }

    /// The connection ended: leaves the selected mailbox (no expunge, as on LOGOUT).
    public func close() {
        unwatch()
        leaveSelection()
    }
}

/// A wake-up that runs at most once, whoever calls it first.
final class OnceWake: @unchecked Sendable {
    private let lock = NIOLock()
    private var wake: (@Sendable () -> Void)?

    init(_ wake: @escaping @Sendable () -> Void) { self.wake = wake }

    var hasFired: Bool { lock.withLock { wake == nil } }

    @Sendable func fire() {
        let wake: (@Sendable () -> Void)? = lock.withLock {
            defer { self.wake = nil }
            return self.wake
        }
        wake?()
    }
}

extension IMAPCommand {
    /// The selected state's commands (RFC 3501 §6.4, UNSELECT, MOVE, UID EXPUNGE).
    var needsSelection: Bool {
        switch self {
        case .check, .close, .unselect, .expunge, .uidExpunge, .search, .fetch, .store, .copy, .move: true
        default: false
        }
    }
}
