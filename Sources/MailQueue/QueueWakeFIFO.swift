#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `DATA/queue/wake`: a named pipe through which `tsubame queue flush|release|…` tells the
/// running server to look at the queue now, not at its next once-a-second poll. Postfix's
/// `postqueue -f` wakes its queue manager through a public FIFO the same way. Any byte is a
/// wake-up; what it is does not matter.
public struct QueueWakeFIFO: Sendable {
    public let path: String

    public init(folder: QueueFolder) { path = "\(folder.path)/wake" }

    /// Creates the FIFO (0600; anything else of that name is replaced) and opens it for reading,
    /// non-blocking. Read-write, so the server holds a writer of its own and never reads an
    /// end of file when a command closes its end (Linux and the BSDs allow this on a FIFO).
    public func openForReading() throws -> CInt {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFIFO {
            guard unlink(path) == 0 else { throw QueueFileError(operation: "unlink", path: path, code: errno) }
        }
        if mkfifo(path, 0o600) != 0, errno != EEXIST {
            throw QueueFileError(operation: "mkfifo", path: path, code: errno)
        }
        let descriptor = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw QueueFileError(operation: "open", path: path, code: errno) }
        return descriptor
    }

    /// Wakes the running server. False when no server has the FIFO open (or there is none):
    /// it reads the queue when it starts anyway. Never blocks: a full pipe already holds
    /// wake-ups enough.
    @discardableResult
    public func notify() -> Bool {
        let descriptor = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return false }  // ENXIO: no reader; ENOENT: no server yet
        defer { close(descriptor) }
        var byte: UInt8 = 0x77  // "w"
        let written = write(descriptor, &byte, 1)
        return written == 1 || errno == EAGAIN
    }
}
