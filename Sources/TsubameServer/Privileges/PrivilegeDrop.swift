#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import ServiceLifecycle
import TsubameConfig

/// `[server] user`: like Postfix and Dovecot, `serve` started as root does its work as an
/// unprivileged user. Root is needed only to bind ports below 1024, so:
///
/// 1. `prepare`, first thing at start: look the user up, check that it owns the data folder,
///    and take its ids as the *effective* ones (real and saved stay root). Everything the
///    start-up opens or creates (tsubame.pid, the directory and its -wal/-shm, a missing
///    certificate, the TLS keys) is then opened as that user, so what it cannot read later, at a
///    reload or a renewal, fails now, and what it creates belongs to it.
/// 2. `regainRootForBinding`, then the listeners are bound (not yet accepting);
/// 3. `dropForGood`: supplementary groups set to just the group, then setgid and setuid, which
///    with root's effective id set the real, effective and saved ids; then check that root
///    cannot come back and that every thread shows the new ids. Only then do the listeners
///    accept, and do the services gated with `afterDrop` (file-writing housekeeping) start.
///
/// The glibc wrappers (not raw syscalls) change the ids of every thread of the process
/// (the "setxid" broadcast), which matters: the event loops and thread pools already run. The
/// broadcast skips a thread stuck in pthread_exit, which is why `tsubame`'s main is not async.
/// Without a user, as root, the server stays root and says so at start.
public final class PrivilegeDrop: Sendable {
    private let target: SystemAccount?
    private let logger: Logger
    private let dropped = OneShotLatch()

    private init(target: SystemAccount?, logger: Logger) {
        self.target = target
        self.logger = logger
        if target == nil { dropped.open() }
    }

    /// Step 1; throws, naming the fix, when the user or group is unknown, is root, does not own
    /// the data folder, or `serve` runs as another unprivileged user.
    public static func prepare(_ settings: ServerSettings, dataFolder: DataFolder,
                               logger: Logger) throws -> PrivilegeDrop {
        let isRoot = geteuid() == 0
        guard !settings.user.isEmpty else {
            if isRoot {
                // The log line's message cannot hold `=` or `"` (LogLine escapes them), so the
                // suggested setting goes in a field.
                logger.warning("running as root; set the [server] user in tsubame.toml so that serve drops to it after binding (see README)",
                               metadata: ["suggested_user": "\(SystemAccount.conventionalName)"])
            }
            return PrivilegeDrop(target: nil, logger: logger)
        }
        let account: SystemAccount
        do {
            account = try SystemAccount.lookUp(user: settings.user, group: settings.group)
        } catch {
            throw PrivilegeError.unknownAccount(dataFolder.configPath, "\(error)")
        }
        guard account.uid != 0, account.gid != 0 else { throw PrivilegeError.rootAccount(account) }
        if !isRoot && geteuid() != account.uid {
            throw PrivilegeError.otherUser(running: geteuid(), configured: account)
        }
        let strangers = DataFolderOwnership.entries(in: dataFolder.path, notOwnedBy: account.uid)
        guard strangers.count == 0 else {
            throw PrivilegeError.notOwned(dataFolder.path, account, strangers.paths, strangers.count)
        }
        if isRoot {
            try setIDs("setgroups", setgroups(1, [account.gid]))
            try setIDs("setegid", setegid(account.gid))
            try setIDs("seteuid", seteuid(account.uid))
        }
        // Owning the folder is not enough if a folder above it (say /root, mode 0700) bars the way.
        guard faccessat(AT_FDCWD, dataFolder.path, R_OK | W_OK | X_OK, AT_EACCESS) == 0 else {
            throw PrivilegeError.unreachable(dataFolder.path, account, String(cString: strerror(errno)))
        }
        // Started as the user already (systemd's User=): nothing to drop.
        return PrivilegeDrop(target: isRoot ? account : nil, logger: logger)
    }

    /// Step 2: root again, only to bind: the housekeeping waits (`afterDrop`), and the listeners
    /// do not accept yet.
    func regainRootForBinding() throws {
        guard target != nil else { return }
        try Self.setIDs("seteuid(0)", seteuid(0))
    }

    /// Step 3, once every listener is bound and before any accepts.
    func dropForGood() throws {
        guard let account = target else { return }
        try Self.setIDs("seteuid(0)", seteuid(0))
        try Self.setIDs("setgroups", setgroups(1, [account.gid]))
        try Self.setIDs("setgid", setgid(account.gid))
        try Self.setIDs("setuid", setuid(account.uid))
        try Self.verify(account)
        logger.notice("dropped root privileges: running as user \(account.userName) (uid \(account.uid)) and group \(account.groupName) (gid \(account.gid))")
        dropped.open()
    }

    /// Runs `service` once privileges are dropped, so it never does its work as root.
    func afterDrop<Wrapped: Service>(_ service: Wrapped) -> AfterPrivilegeDrop<Wrapped> {
        AfterPrivilegeDrop(latch: dropped, service: service)
    }

    /// Root must be gone for good, from every thread.
    private static func verify(_ account: SystemAccount) throws {
        guard setuid(0) != 0, seteuid(0) != 0 else { throw PrivilegeError.dropFailed("setuid(0) still succeeds") }
        guard getuid() == account.uid, geteuid() == account.uid, getgid() == account.gid, getegid() == account.gid else {
            throw PrivilegeError.dropFailed("ids are uid \(getuid())/\(geteuid()), gid \(getgid())/\(getegid())")
        }
        var groups = [gid_t](repeating: 0, count: 64)
        let count = getgroups(Int32(groups.count), &groups)
        guard count >= 0, Array(groups.prefix(Int(count))).allSatisfy({ $0 == account.gid }) else {
            throw PrivilegeError.dropFailed("supplementary groups are \(groups.prefix(max(0, Int(count))))")
        }
        #if os(Linux)
        let threads = ThreadCredentials.ofEveryThread()
        guard !threads.isEmpty else { throw PrivilegeError.dropFailed("cannot list the threads in /proc/self/task") }
        let expected = ThreadCredentials.dropped(to: account)
        for (thread, credentials) in threads where credentials != expected {
            throw PrivilegeError.dropFailed("thread \(thread) has \(credentials.map(\.description) ?? "unreadable ids")")
        }
        #endif
    }

    private static func setIDs(_ call: String, _ result: Int32) throws {
        if result != 0 { throw PrivilegeError.dropFailed("\(call): \(String(cString: strerror(errno)))") }
    }
}

public enum PrivilegeError: Error, CustomStringConvertible {
    case unknownAccount(String, String)
    case rootAccount(SystemAccount)
    case otherUser(running: uid_t, configured: SystemAccount)
    case notOwned(String, SystemAccount, [String], Int)
    case unreachable(String, SystemAccount, String)
    case dropFailed(String)

    public var description: String {
        switch self {
        case .unknownAccount(let configPath, let reason):
            return "[server] user or group in \(configPath): \(reason)"
        case .rootAccount(let account):
            return "[server] user = \"\(account.userName)\" (uid \(account.uid), gid \(account.gid)): name an unprivileged user and group, not root"
        case .otherUser(let running, let configured):
            return "serve runs as uid \(running), but [server] user = \"\(configured.userName)\" (uid \(configured.uid)): start it as root, which drops to that user after binding, or as that user"
        case .notOwned(let folder, let account, let paths, let count):
            let more = count > paths.count ? " and \(count - paths.count) more" : ""
            return "\(folder) must be owned by \(account.userName), the [server] user, but \(paths.joined(separator: ", "))\(more) \(count == 1 ? "is" : "are") not; run `\(account.chownCommand(folder))`"
        case .unreachable(let folder, let account, let reason):
            return "\(account.userName), the [server] user, cannot use \(folder): \(reason); every folder above it must let the user through (mode o+x), e.g. put the data in /var/lib/tsubame"
        case .dropFailed(let reason):
            return "cannot drop root privileges, refusing to go on: \(reason)"
        }
    }
}
