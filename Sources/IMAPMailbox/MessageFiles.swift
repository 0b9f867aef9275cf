#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPMessage

/// Reading message files: stored with LF line ends, served with CRLF (RFC 3501 §2.3.4).
enum MessageFiles {
    /// The largest file read whole (a message larger than any APPENDLIMIT or SMTP size).
    static let maximumSize = 512 * 1024 * 1024

    static func read(path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int(info.st_size) <= maximumSize else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            offset += count
        }
        return offset == bytes.count ? bytes : Array(bytes[0..<offset])
    }

    /// The file up to and including its first empty line (the header, RFC 5322 §2.1), read in
    /// 8 KiB pieces; the whole file when it has no empty line.
    static func readHeader(path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var piece = [UInt8](repeating: 0, count: 8_192)
        while bytes.count < maximumSize {
            let count = piece.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            let scanFrom = max(0, bytes.count - 2)
            bytes.append(contentsOf: piece[0..<count])
            if let end = headerEnd(bytes, from: scanFrom) { return Array(bytes[0..<end]) }
        }
        return bytes
    }

    /// Just past the first empty line at or after `from` (LF or CRLF line ends).
    static func headerEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        // An empty first line: the header is empty.
        if start == 0, bytes.first == 0x0A { return 1 }
        if start == 0, bytes.count >= 2, bytes[0] == 0x0D, bytes[1] == 0x0A { return 2 }
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return index + 2 }
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    static func parsed(path: String) -> ParsedMessage? {
        read(path: path).map { ParsedMessage(crlf: MessageLines.crlf($0)) }
    }

    /// Octets with CRLF line ends: every bare LF counts two.
    static func crlfSize(_ bytes: [UInt8]) -> Int {
        var size = bytes.count
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == UInt8(ascii: "\n"), previous != UInt8(ascii: "\r") { size += 1 }
            previous = byte
        }
        return size
    }

    static func crlfSize(path: String) -> Int? {
        read(path: path).map(crlfSize)
    }

    /// Writes a new file, fsyncs it and sets its mtime (the INTERNALDATE).
    static func write(_ bytes: [UInt8], to path: String, modified seconds: Int) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw OwnerWriteError.failed("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw OwnerWriteError.failed("write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
        if futimens(descriptor, &times) < 0 { throw OwnerWriteError.failed("futimens \(path)") }
        if fsync(descriptor) < 0 { throw OwnerWriteError.failed("fsync \(path)") }
    }
}
