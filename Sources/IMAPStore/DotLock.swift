#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaildirStore

/// Dovecot's dotlock (lib/file-dotlock.c): `FILE.lock` created with O_EXCL, holding
/// "<pid>:<host>". Another holder's lock counts as stale, and is removed, once its mtime is
/// older than `staleAfter` (Dovecot's MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT, 120 s), or at once
/// when it names a process of this host that no longer exists. Waiting is bounded.
///
/// Not thread-safe: one lock is held by one storage thread at a time.
public final class DotLock {
    public struct Timeout: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var description: String { "\(path): locked by another process" }
    }

    public static let defaultStaleAfter = 120
    /// Dovecot waits up to the stale time plus a little; a server thread should not: callers
    /// see `Timeout` and answer "try again" (IMAP `NO [INUSE]`).
    public static let defaultWait = 30

    public let lockPath: String
    /// Made by linking a file this process keeps (`acquire(path:linkingFrom:)`): its inode is
    /// shared, so the lock's contents must never be replaced.
    private let linked: Bool
    private let descriptor: Int32
    private let device: UInt64
    private let inode: UInt64
    private var held = true

    private init(lockPath: String, descriptor: Int32, info: stat, linked: Bool = false) {
        self.lockPath = lockPath
        self.linked = linked
        self.descriptor = descriptor
        self.device = UInt64(info.st_dev)
        self.inode = UInt64(info.st_ino)
    }

    deinit {
        if held { release() }
        close(descriptor)
    }

    /// Locks `path` by creating `path.lock`.
    public static func acquire(path: String, staleAfter: Int = defaultStaleAfter,
                               wait: Int = defaultWait) throws -> DotLock {
        let lockPath = "\(path).lock"
        return try acquire(lockPath: lockPath, staleAfter: staleAfter, wait: wait, linked: false) {
            let descriptor = open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                try? FileIO.writeAll(descriptor, Array("\(getpid()):\(FileIO.hostname())".utf8), path: lockPath)
            }
            return descriptor
        }
    }

    /// Locks `path` by linking `source` (created with "<pid>:<host>" when missing) to
    /// `path.lock`: the create-exclusive step of Dovecot's own dotlock (it links a temporary
    /// file too), without making and freeing an inode per lock. A delivery takes the uidlist
    /// lock once per message; on ext4 a freed inode is skipped by the allocator for a while,
    /// and thousands of them made every file creation scan past them. `source` must be on the
    /// same file system, private to this process (its name carries the pid), and outside
    /// what Maildir readers list (the folder's tmp/). The lock's mtime is set at each
    /// acquisition, so another process judges its age as it would a new file's.
    public static func acquire(path: String, linkingFrom source: String, staleAfter: Int = defaultStaleAfter,
                               wait: Int = defaultWait) throws -> DotLock {
        let lockPath = "\(path).lock"
        var madeSource = false
        return try acquire(lockPath: lockPath, staleAfter: staleAfter, wait: wait, linked: true) {
            if link(source, lockPath) == 0 { return openLinked(lockPath) }
            guard errno == ENOENT, !madeSource else { return -1 }
            // The source is missing: the first lock of this process here. Sources of
            // processes that have ended go now, so restarts leave no trail.
            madeSource = true
            removeSourcesOfEndedProcesses(beside: source)
            let descriptor = open(source, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { return -1 }
            try? FileIO.writeAll(descriptor, Array("\(getpid()):\(FileIO.hostname())".utf8), path: source)
            close(descriptor)
            guard link(source, lockPath) == 0 else { return -1 }
            return openLinked(lockPath)
        }
    }

    /// Names of link sources: this prefix and the pid.
    public static let linkSourcePrefix = "tsubame-lock."

    private static func removeSourcesOfEndedProcesses(beside source: String) {
        let directory = FileIO.parent(of: source)
        guard let names = try? DirectoryListing.names(in: directory) else { return }
        for name in names where name.hasPrefix(linkSourcePrefix) {
            guard let pid = Int32(name.dropFirst(linkSourcePrefix.count)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) < 0, errno == ESRCH { unlink("\(directory)/\(name)") }
        }
    }

    /// The lock just linked, opened; should that fail, the link goes again (never a lock held
    /// without a descriptor to release it by).
    private static func openLinked(_ lockPath: String) -> Int32 {
        let descriptor = open(lockPath, O_RDWR | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            unlink(lockPath)
            errno = code == EEXIST ? EIO : code
        }
        return descriptor
    }

    /// The wait loop both ways of locking share: `attempt` returns the lock's descriptor, or
    /// -1 with errno (EEXIST: held by someone).
    private static func acquire(lockPath: String, staleAfter: Int, wait: Int, linked: Bool,
                                attempt: () throws -> Int32) throws -> DotLock {
        let deadline = FileIO.now() + wait
        var pause: UInt32 = 2_000
        while true {
            let descriptor = try attempt()
            if descriptor >= 0 {
                // Now, whatever the source's age: the lock is as young as this acquisition.
                futimens(descriptor, nil)
                var info = stat()
                fstat(descriptor, &info)
                return DotLock(lockPath: lockPath, descriptor: descriptor, info: info, linked: linked)
            }
            guard errno == EEXIST else { throw FileIO.fail("link", lockPath) }
            if isStale(lockPath: lockPath, staleAfter: staleAfter) {
                // Another process may break the same stale lock; creating it decides who wins.
                unlink(lockPath)
                continue
            }
            if FileIO.now() >= deadline { throw Timeout(path: lockPath) }
            usleep(pause)
            pause = min(pause * 2, 100_000)
        }
    }

    static func isStale(lockPath: String, staleAfter: Int) -> Bool {
        var info = stat()
        guard stat(lockPath, &info) == 0 else { return false }
        if FileIO.now() - Int(info.st_mtim.tv_sec) > staleAfter { return true }
        // "<pid>:<host>" of a process on this host that has died: Dovecot breaks these at once too.
        guard let bytes = try? FileIO.readIfPresent(lockPath) else { return false }
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: ":", maxSplits: 1)
        guard fields.count == 2, String(fields[1]) == FileIO.hostname(), let pid = Int32(fields[0]), pid > 0 else {
            return false
        }
        return kill(pid, 0) < 0 && errno == ESRCH
    }

    /// Refreshes the mtime so a long operation is not taken for a stale lock.
    public func touch() {
        futimens(descriptor, nil)
    }

    /// Whether the lock file is still ours (someone may have broken it as stale).
    public var isStillHeld: Bool {
        var info = stat()
        return held && stat(lockPath, &info) == 0 && UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    public func release() {
        guard held else { return }
        held = false
        if isOurs() { unlink(lockPath) }
    }

    private func isOurs() -> Bool {
        var info = stat()
        return stat(lockPath, &info) == 0 && UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// Dovecot's file_dotlock_replace: the new contents go into the lock file, which is then
    /// renamed over the target — replacing it and releasing the lock in one step.
    public func replaceTarget(with text: String) throws {
        guard held, !linked, isOurs() else { throw FileIO.fail("rename", lockPath, ESTALE) }
        if ftruncate(descriptor, 0) < 0 { throw FileIO.fail("ftruncate", lockPath) }
        _ = lseek(descriptor, 0, SEEK_SET)
        try FileIO.writeAll(descriptor, Array(text.utf8), path: lockPath)
        if fsync(descriptor) < 0 { throw FileIO.fail("fsync", lockPath) }
        let target = String(lockPath.dropLast(".lock".count))
        if rename(lockPath, target) < 0 { throw FileIO.fail("rename", target) }
        held = false
        try FileIO.syncDirectory(FileIO.parent(of: target))
    }
}
