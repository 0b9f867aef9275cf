#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaildirStore

/// A failed system call on a Maildir control file, with the path it was about.
public struct StoreFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public var operation: String
    public var path: String
    public var code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// The few blocking file operations Dovecot's small control files need. Call them from a
/// storage thread, never from an event loop.
enum FileIO {
    static func fail(_ operation: String, _ path: String, _ code: Int32 = errno) -> StoreFileError {
        StoreFileError(operation: operation, path: path, code: code)
    }

    /// The whole file, or nil when it does not exist.
    static func readIfPresent(_ path: String) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw fail("open", path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw fail("read", path)
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }

    /// `count` bytes from `offset`; nil when the file cannot be read or is shorter.
    static func readRange(path: String, from offset: Int, count: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return bytes
    }

    static func readTextIfPresent(_ path: String) throws -> String? {
        try readIfPresent(path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw fail("write", path)
            }
            offset += written
        }
    }

    /// Writes a sibling temporary file, fsyncs it and renames it over `path`: readers see the
    /// old or the new file, never a part (the way Dovecot replaces its control files).
    static func replace(path: String, with text: String) throws {
        let temporary = "\(path).tsubame-tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if descriptor < 0 { throw fail("open", temporary) }
        do {
            try writeAll(descriptor, Array(text.utf8), path: temporary)
            if fsync(descriptor) < 0 { throw fail("fsync", temporary) }
            close(descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        if rename(temporary, path) < 0 {
            let code = errno
            unlink(temporary)
            throw fail("rename", path, code)
        }
        try syncDirectory(parent(of: path))
    }

    /// Appends to an existing file in one write (O_APPEND), then fsyncs it.
    static func append(path: String, text: String) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        if descriptor < 0 { throw fail("open", path) }
        defer { close(descriptor) }
        try writeAll(descriptor, Array(text.utf8), path: path)
        if fsync(descriptor) < 0 { throw fail("fsync", path) }
    }

    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor < 0 { throw fail("open", path) }
        defer { close(descriptor) }
        if fsync(descriptor) < 0 { throw fail("fsync", path) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir with mode 0700; an existing directory is fine.
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) < 0, errno != EEXIST { throw fail("mkdir", path) }
    }

    /// Creates an empty file if it is missing.
    static func touch(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0 { throw fail("open", path) }
        close(descriptor)
    }

    /// rm -r of a folder we own; symbolic links are removed, never followed.
    static func removeTree(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) < 0 {
            if errno == ENOENT { return }
            throw fail("lstat", path)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in try DirectoryListing.names(in: path) { try removeTree("\(path)/\(name)") }
            if rmdir(path) < 0, errno != ENOENT { throw fail("rmdir", path) }
        } else if unlink(path) < 0, errno != ENOENT {
            throw fail("unlink", path)
        }
    }

    static func now() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int(now.tv_sec)
    }

    static func hostname() -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        _ = buffer.withUnsafeMutableBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { gethostname($0.baseAddress!, $0.count - 1) }
        }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}
