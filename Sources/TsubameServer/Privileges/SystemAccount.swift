#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A user of this system and the group to run with, from the user and group databases
/// (getpwnam_r, getgrnam_r: /etc/passwd and /etc/group, or whatever NSS is configured).
public struct SystemAccount: Sendable, Equatable {
    public var userName: String
    public var uid: uid_t
    public var groupName: String
    public var gid: gid_t

    /// The user `init` (and a first-run `serve`) hand a new data folder to when they run as root.
    public static let conventionalName = "tsubame"

    /// `user` with `group`, or with its primary group when `group` is empty.
    public static func lookUp(user: String, group: String = "") throws -> SystemAccount {
        guard let (uid, primaryGID) = try userEntry(user) else { throw AccountError.noSuchUser(user) }
        if group.isEmpty {
            return SystemAccount(userName: user, uid: uid, groupName: try groupName(primaryGID) ?? "\(primaryGID)",
                                 gid: primaryGID)
        }
        guard let gid = try groupEntry(group) else { throw AccountError.noSuchGroup(group) }
        return SystemAccount(userName: user, uid: uid, groupName: group, gid: gid)
    }

    /// The conventional user when it exists, for a data folder created by root; nil otherwise.
    public static func conventional() -> SystemAccount? {
        try? lookUp(user: conventionalName)
    }

    /// `chown -R USER:GROUP FOLDER`, for messages that tell the admin what to run.
    public func chownCommand(_ folder: String) -> String { "chown -R \(userName):\(groupName) \(folder)" }

    public enum AccountError: Error, CustomStringConvertible {
        case noSuchUser(String)
        case noSuchGroup(String)
        case lookupFailed(String, String)

        public var description: String {
            switch self {
            case .noSuchUser(let name):
                return "there is no user \(name) on this system; create it with `useradd --system --home-dir /var/lib/tsubame --shell /usr/sbin/nologin \(name)`"
            case .noSuchGroup(let name):
                return "there is no group \(name) on this system"
            case .lookupFailed(let name, let reason):
                return "cannot look up \(name): \(reason)"
            }
        }
    }

    private static func userEntry(_ name: String) throws -> (uid_t, gid_t)? {
        try withEntryBuffer(name) { buffer in
            var entry = passwd()
            var found: UnsafeMutablePointer<passwd>?
            let status = getpwnam_r(name, &entry, buffer.baseAddress!, buffer.count, &found)
            return (status, found == nil ? nil : (entry.pw_uid, entry.pw_gid))
        }
    }

    private static func groupEntry(_ name: String) throws -> gid_t? {
        try withEntryBuffer(name) { buffer in
            var entry = group()
            var found: UnsafeMutablePointer<group>?
            let status = getgrnam_r(name, &entry, buffer.baseAddress!, buffer.count, &found)
            return (status, found == nil ? nil : entry.gr_gid)
        }
    }

    private static func groupName(_ gid: gid_t) throws -> String? {
        try withEntryBuffer("group \(gid)") { buffer in
            var entry = group()
            var found: UnsafeMutablePointer<group>?
            let status = getgrgid_r(gid, &entry, buffer.baseAddress!, buffer.count, &found)
            return (status, found == nil ? nil : String(cString: entry.gr_name))
        }
    }

    /// Calls `body` with a scratch buffer for the entry's strings, growing it on ERANGE.
    /// `body` returns the function's status (0 or an errno) and its result.
    private static func withEntryBuffer<T>(_ what: String,
                                           _ body: (UnsafeMutableBufferPointer<CChar>) -> (Int32, T?)) throws -> T? {
        var size = 1024
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let (status, result) = buffer.withUnsafeMutableBufferPointer { body($0) }
            if status == ERANGE && size < 1 << 20 {
                size *= 4
                continue
            }
            // Not found is status 0 with no entry; glibc also answers ENOENT and friends for it.
            if status == 0 || status == ENOENT || status == ESRCH { return result }
            throw AccountError.lookupFailed(what, String(cString: strerror(status)))
        }
    }
}
