#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// DIR/tsubame.pid, locked (flock) for as long as `tsubame serve` runs on the folder: a second
/// server on the same data folder is refused, and commands that change what the server reads
/// (`cert issue`, `cert install`) can tell it to reload. The lock, not the file's presence, says
/// whether a server runs, so a file left by a killed server means nothing.
public final class RunningServer: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    static func pidPath(_ folder: DataFolder) -> String { "\(folder.path)/tsubame.pid" }

    public enum LockError: Error, CustomStringConvertible {
        case alreadyRunning(String, pid_t?)
        case cannotLock(String, String)

        public var description: String {
            switch self {
            case .alreadyRunning(let path, let pid):
                return "another tsubame serve\(pid.map { " (pid \($0))" } ?? "") is already running on this data folder (it holds \(path))"
            case .cannotLock(let path, let reason):
                return "cannot lock \(path): \(reason)"
            }
        }
    }

    /// Takes the lock and writes this process's pid; throws when another server holds it.
    static func claim(_ folder: DataFolder) throws -> RunningServer {
        let path = pidPath(folder)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LockError.cannotLock(path, String(cString: strerror(errno))) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let reason = errno
            let holder = readPID(fd)
            close(fd)
            if reason == EWOULDBLOCK { throw LockError.alreadyRunning(path, holder) }
            throw LockError.cannotLock(path, String(cString: strerror(reason)))
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return RunningServer(descriptor: fd)
    }

    /// The pid of the server running on `folder`, or nil when none holds the lock.
    public static func pid(of folder: DataFolder) -> pid_t? {
        let fd = open(pidPath(folder), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return readPID(fd)
    }

    public enum ReloadOutcome: Equatable {
        case notRunning
        case signalled(pid_t)
        case failed(pid_t, String)
    }

    /// Sends SIGHUP to the server running on `folder`, which reloads its configuration and
    /// certificates without dropping open connections.
    public static func reload(_ folder: DataFolder) -> ReloadOutcome {
        guard let pid = pid(of: folder) else { return .notRunning }
        if kill(pid, SIGHUP) != 0 { return .failed(pid, String(cString: strerror(errno))) }
        return .signalled(pid)
    }

    private static func readPID(_ fd: Int32) -> pid_t? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let digits = buffer[0..<count].prefix { (0x30...0x39).contains($0) }
        return pid_t(String(decoding: digits, as: UTF8.self)).flatMap { $0 > 0 ? $0 : nil }
    }
}
