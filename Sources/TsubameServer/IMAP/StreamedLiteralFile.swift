#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One streamed literal (an APPEND message above the inline threshold) on its way to a file in
/// the Maildir's tmp/: written on a storage thread, piece by piece, so memory stays bounded
/// whatever the message size. The mailbox layer takes the path (and removes the file) once the
/// command runs; a command that never runs removes its files itself (`discard`).
final class StreamedLiteralFile: @unchecked Sendable {
    let path: String
    private var descriptor: Int32 = -1

    init(path: String) {
        self.path = path
    }

    /// Appends `bytes`; creates the file at the first call (O_EXCL: never someone else's).
    /// Blocking: storage threads only.
    func append(_ bytes: ByteBuffer) throws {
        if descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw StreamedLiteralError.cannotCreate(path, errno) }
        }
        try bytes.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw StreamedLiteralError.cannotWrite(path, errno)
                }
                offset += written
            }
        }
    }

    /// The literal is complete: the file is closed (an empty literal still gets its file).
    func finish() throws {
        if descriptor < 0 { try append(ByteBuffer()) }
        close(descriptor)
        descriptor = -1
    }

    /// The command was dropped or the connection ended: the file goes.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }
}

enum StreamedLiteralError: Error {
    case cannotCreate(String, Int32)
    case cannotWrite(String, Int32)
}
