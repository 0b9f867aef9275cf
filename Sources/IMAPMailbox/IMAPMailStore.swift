import IMAPProtocol
import IMAPStore
import NIOConcurrencyHelpers

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
    let configuration: IMAPMailConfiguration
    let hostname: String

    private struct Registry {
        /// Folder path → its owner and how many holders it has (0: resting).
        var owners: [String: (owner: MailboxOwner, holders: Int)] = [:]
        /// Maildir root → its cache, while any of the user's folders is open or resting.
        var caches: [String: MailboxCache] = [:]
        /// Folders no session holds any more, oldest first, with their message counts: kept
        /// so the next SELECT (a client reconnects every few minutes) checks the directory
        /// mtimes instead of reading the whole uidlist and folder again, as Dovecot reads its
        /// index.
        var resting: [(path: String, messages: Int)] = []
    }

    /// At most this many resting owners, holding at most `restingMessages` messages in all
    /// (a few hundred bytes each).
    static let restingOwners = 32
    static let restingMessages = 250_000

    private let registry = NIOLockedValueBox(Registry())

    public init(configuration: IMAPMailConfiguration) {
        self.configuration = configuration
        self.hostname = HostName.current()
    }

    /// Opens a user's mail after login: makes the Maildir and the special-use folders (RFC 6154)
    /// when they are missing. Blocking.
    public func openAccount(maildir: String) throws -> IMAPAccountSession {
        try HostName.makeMaildir(maildir)
        try MaildirFolders(root: maildir).ensureSpecialUseFolders()
        return IMAPAccountSession(maildir: maildir, store: self)
    }

    /// Delivery placed `fileNames` in `folderPath`/new and gave them `uids` (MaildirMailbox
    /// .assignUIDs): the folder's sessions see them at their next command, IDLE at once. Any thread.
    public func noteDelivery(folderPath: String, fileNames: [String], uids: [UInt32]) {
        let owner = registry.withLockedValue { $0.owners[Self.normalized(folderPath)]?.owner }
        owner?.noteDelivery(fileNames: fileNames, uids: uids)
    }

    /// Something else in this process changed a folder (POP3 marked seen or deleted): its owner
    /// rescans at the next sync point and wakes IDLE sessions. Any thread.
    public func noteChange(folderPath: String) {
        let owner = registry.withLockedValue { $0.owners[Self.normalized(folderPath)]?.owner }
        owner?.markDirty()
    }

    /// Whether a session has the folder selected now: delivery numbers its messages before the
    /// 250 only then (`DeliveryUIDAssignment`). Any thread.
    public func isSelected(folderPath: String) -> Bool {
        registry.withLockedValue { ($0.owners[Self.normalized(folderPath)]?.holders ?? 0) > 0 }
    }

    // MARK: Owners

    /// The folder's owner, made when no one holds it yet; pair with `release`.
    func acquire(name: MailboxName, root: String) -> MailboxOwner {
        let folders = MaildirFolders(root: root)
        let path = Self.normalized(folders.path(of: name))
        return registry.withLockedValue { registry in
            if let entry = registry.owners[path] {
                if entry.holders == 0 { registry.resting.removeAll { $0.path == path } }
                registry.owners[path] = (entry.owner, entry.holders + 1)
                return entry.owner
            }
            var cache = registry.caches[root]
            if cache == nil, configuration.cacheEnabled {
                cache = try? MailboxCache(root: root)
                registry.caches[root] = cache
            }
            let owner = MailboxOwner(name: name, mailbox: MaildirMailbox(path: path, root: root), cache: cache)
            registry.owners[path] = (owner, 1)
            return owner
        }
    }

    func release(_ owner: MailboxOwner) {
        let messages = owner.withState { $0.messages.count }
        registry.withLockedValue { registry in
            guard let entry = registry.owners[owner.path], entry.owner === owner else { return }
            if entry.holders <= 1 {
                registry.owners[owner.path] = (owner, 0)
                registry.resting.append((owner.path, messages))
                Self.evictResting(&registry)
            } else {
                registry.owners[owner.path] = (owner, entry.holders - 1)
            }
        }
    }

    /// Drops the oldest resting owners beyond the bounds; a user whose last folder goes has
    /// its SQLite handle closed too, so descriptors stay bounded by the folders in use and
    /// resting, not by every user ever seen.
    private static func evictResting(_ registry: inout Registry) {
        while registry.resting.count > restingOwners || registry.resting.reduce(0, { $0 + $1.messages }) > restingMessages {
            let oldest = registry.resting.removeFirst()
            guard let entry = registry.owners[oldest.path], entry.holders == 0 else { continue }
            registry.owners[oldest.path] = nil
            let root = entry.owner.mailbox.root
            if !registry.owners.values.contains(where: { $0.owner.mailbox.root == root }) {
                registry.caches[root] = nil
            }
        }
    }

    /// A deleted or renamed folder: its owner is forgotten (holders keep their reference and
    /// find the folder gone), and its cache rows go.
    func forget(name: MailboxName, root: String) {
        let path = Self.normalized(MaildirFolders(root: root).path(of: name))
        let (owner, cache) = registry.withLockedValue { registry in
            registry.resting.removeAll { $0.path == path }
            return (registry.owners.removeValue(forKey: path)?.owner, registry.caches[root])
        }
        owner?.markDirty()
        cache?.dropFolder(path: path)
    }

    /// Every open owner under a root (for RENAME of a parent, which moves its children too).
    func openFolders(root: String) -> [MailboxName] {
        registry.withLockedValue { registry in
            registry.owners.values.filter { $0.owner.mailbox.root == root }.map(\.owner.name)
        }
    }

    static func normalized(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
