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
    private let descriptor: Int32
    private let device: UInt64
    private let inode: UInt64
    private var held = true

    private init(lockPath: String, descriptor: Int32, info: stat) {
        self.lockPath = lockPath
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
        let deadline = FileIO.now() + wait
        var pause: UInt32 = 2_000
        while true {
            let descriptor = open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                let owner = "\(getpid()):\(FileIO.hostname())"
                try? FileIO.writeAll(descriptor, Array(owner.utf8), path: lockPath)
                var info = stat()
                fstat(descriptor, &info)
                return DotLock(lockPath: lockPath, descriptor: descriptor, info: info)
            }
            guard errno == EEXIST else { throw FileIO.fail("open", lockPath) }
            if isStale(lockPath: lockPath, staleAfter: staleAfter) {
                // Another process may break the same stale lock; O_EXCL above decides who wins.
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
        guard held, isOurs() else { throw FileIO.fail("rename", lockPath, ESTALE) }
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
