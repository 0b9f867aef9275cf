#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call, with the path it was about, for logs and the 451 decision.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Thin, throwing wrappers over the POSIX calls Maildir delivery needs. They block: call them
/// only from the storage thread pool, never from an event loop.
enum POSIX {
    static func check(_ result: Int32, _ operation: String, _ path: String) throws(StorageError) {
        if result < 0 { throw StorageError(operation: operation, path: path, code: errno) }
    }

    static func openNewFile(_ path: String) throws(StorageError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        try check(fd, "open", path)
        return fd
    }

    /// Two buffers in one writev: a message's trace headers and its content cost one call.
    static func writeAll(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                         path: String) throws(StorageError) {
        guard !first.isEmpty, !second.isEmpty else {
            try writeAll(fd, first, path: path)
            return try writeAll(fd, second, path: path)
        }
        var vectors = [iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
                       iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count)]
        var written = -1
        while written < 0 {
            written = writev(fd, &vectors, 2)
            if written < 0, errno != EINTR { throw StorageError(operation: "write", path: path, code: errno) }
        }
        // A short write (a full disk, a signal): the rest as separate writes, which report why.
        if written < first.count {
            try writeAll(fd, UnsafeRawBufferPointer(rebasing: first[written...]), path: path)
            try writeAll(fd, second, path: path)
        } else {
            try writeAll(fd, UnsafeRawBufferPointer(rebasing: second[(written - first.count)...]), path: path)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(StorageError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw StorageError(operation: "write", path: path, code: errno)
            }
            offset += written
        }
    }

    /// pread: up to `buffer.count` octets at `offset`; 0 at the end of the file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                     path: String) throws(StorageError) -> Int {
        while true {
            let count = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw StorageError(operation: "read", path: path, code: errno)
        }
    }

    /// Exactly `buffer.count` octets at `offset`, or an error.
    static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                        path: String) throws(StorageError) {
        var done = 0
        while done < buffer.count {
            let count = try read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + done, path: path)
            if count == 0 { throw StorageError(operation: "read", path: path, code: EIO) }
            done += count
        }
    }

    static func syncFile(_ fd: Int32, path: String) throws(StorageError) {
        try check(fdatasync(fd), "fdatasync", path)
    }

    /// fsync on a directory makes the names created in it durable (link, rename).
    static func syncDirectory(_ path: String) throws(StorageError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try check(fd, "open", path)
        defer { close(fd) }
        try check(fsync(fd), "fsync", path)
    }

    /// mkdir -p with mode 0700; syncs each parent whose entries it changed.
    static func makeDirectories(_ path: String) throws(StorageError) {
        var isDirectory = stat()
        if stat(path, &isDirectory) == 0 { return }
        let parent = parentDirectory(of: path)
        if parent != path, !parent.isEmpty { try makeDirectories(parent) }
        if mkdir(path, 0o700) < 0, errno != EEXIST { throw StorageError(operation: "mkdir", path: path, code: errno) }
        if !parent.isEmpty { try syncDirectory(parent) }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}
