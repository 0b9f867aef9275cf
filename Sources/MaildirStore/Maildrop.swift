#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// One message of a Maildir as a POP3 session sees it.
public struct MaildropEntry: Sendable, Equatable {
    /// Stable across sessions, restarts and the move from new/ to cur/: the `P` field of the
    /// file's record in `dovecot-uidlist` when it has one (a Maildir Dovecot's POP3 served),
    /// else the file's unique base name, as Dovecot's Maildir code derives it (RFC 1939 §7:
    /// 1-70 printable characters) — the value IMAPStore writes into `P`.
    public var uid: String
    /// Octets with CRLF line ends: Dovecot's W= from the name, so no body is read.
    public var size: Int
    /// "new/NAME" or "cur/NAME", relative to the Maildir.
    public var location: String
}

/// Reads and changes a Maildir for POP3. Blocking: call from a storage thread only.
public enum Maildrop {
    /// Lists new/ and cur/, oldest first. Sizes come from the file names; only a file without
    /// W= (delivered by another program) is read to count its line ends.
    public static func scan(maildir: String) throws -> [MaildropEntry] {
        if !POSIX.fileExists("\(maildir)/new") { try MaildirStore.createMaildir(at: maildir) }
        let fixedUIDLs = UIDListPOP3Reader.overrides(maildir: maildir)
        var found: [(order: (Int, Int), name: String, entry: MaildropEntry)] = []
        for folder in ["new", "cur"] {
            for name in try DirectoryListing.names(in: "\(maildir)/\(folder)") where !name.hasPrefix(".") {
                let location = "\(folder)/\(name)"
                let size = try virtualSize(ofFileNamed: name) ?? countVirtualSize(path: "\(maildir)/\(location)")
                found.append((order(of: name), name, MaildropEntry(uid: uid(ofFileNamed: name, fixed: fixedUIDLs), size: size, location: location)))
            }
        }
        found.sort { $0.order != $1.order ? $0.order < $1.order : $0.name < $1.name }
        return found.map(\.entry)
    }

    /// RETR marks a message seen: new/NAME becomes cur/NAME:2,S (the Maildir spec's info).
    /// Returns the new location, or nil when nothing moved.
    public static func markSeen(maildir: String, location: String) -> String? {
        guard location.hasPrefix("new/") else { return nil }
        let name = location.dropFirst(4)
        let base = name.split(separator: ":", maxSplits: 1).first.map(String.init) ?? String(name)
        let target = "cur/\(base):2,S"
        guard rename("\(maildir)/\(location)", "\(maildir)/\(target)") == 0 else { return nil }
        return target
    }

    /// QUIT's UPDATE state: unlink, then fsync the folders so the deletion is durable before +OK.
    public static func remove(maildir: String, locations: [String]) -> Bool {
        var removedAll = true
        for location in locations where unlink("\(maildir)/\(location)") != 0 && errno != ENOENT {
            removedAll = false
        }
        for folder in Set(locations.compactMap { $0.split(separator: "/").first.map(String.init) }) {
            if (try? POSIX.syncDirectory("\(maildir)/\(folder)")) == nil { removedAll = false }
        }
        return removedAll
    }

    /// The uidlist's `P` for the file (keyed by the name up to ":", as Dovecot keys records), else
    /// the rule below.
    static func uid(ofFileNamed name: String, fixed: [String: String]) -> String {
        if !fixed.isEmpty, let uidl = fixed[String(name.prefix { $0 != ":" })] { return uidl }
        return uid(ofFileNamed: name)
    }

    static func uid(ofFileNamed name: String) -> String {
        let unique = String(name.prefix { $0 != "," && $0 != ":" })
        if !unique.isEmpty, unique.utf8.count <= 70, unique.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            return unique
        }
        // Too long or unprintable: a stable 64-bit FNV-1a hash of it instead.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in unique.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return "H" + String(hash, radix: 16)
    }

    static func virtualSize(ofFileNamed name: String) -> Int? {
        let base = name.prefix { $0 != ":" }
        for field in base.split(separator: ",").dropFirst() where field.hasPrefix("W=") {
            return Int(field.dropFirst(2))
        }
        return nil
    }

    /// "<seconds>.M<microseconds>..." orders by delivery time; other names sort after by name.
    static func order(of name: String) -> (Int, Int) {
        let parts = name.split(separator: ".", maxSplits: 2)
        guard let seconds = parts.first.flatMap({ Int($0) }) else { return (Int.max, 0) }
        var microseconds = 0
        if parts.count > 1, parts[1].hasPrefix("M") {
            microseconds = Int(parts[1].dropFirst().prefix { $0.isNumber }) ?? 0
        }
        return (seconds, microseconds)
    }

    private static func countVirtualSize(path: String) throws -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try POSIX.check(descriptor, "open", path)
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var total = 0
        var lastWasLineFeed = true
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            try POSIX.check(Int32(clamping: count), "read", path)
            if count == 0 { break }
            for byte in buffer[0..<count] { total += byte == UInt8(ascii: "\n") ? 2 : 1 }
            lastWasLineFeed = buffer[count - 1] == UInt8(ascii: "\n")
        }
        return total + (lastWasLineFeed ? 0 : 2)
    }

}

/// One POP3 session per mailbox (RFC 1939 §8): an exclusive flock on a lock file in the
/// Maildir. The kernel drops it when the descriptor closes, also when the process dies, so a
/// crashed server never leaves a mailbox locked.
public final class MaildropLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// nil when another session holds the mailbox.
    public static func acquire(maildir: String) throws -> MaildropLock? {
        if !POSIX.fileExists("\(maildir)/new") { try MaildirStore.createMaildir(at: maildir) }
        let path = "\(maildir)/tsubame-pop3.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try POSIX.check(descriptor, "open", path)
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { return nil }
            throw StorageError(operation: "flock", path: path, code: code)
        }
        return MaildropLock(descriptor: descriptor)
    }

    deinit { close(descriptor) }
}

/// Reads a message file in pieces on the storage threads, for streaming RETR and TOP.
public final class MessageFileReader: Sendable {
    private let descriptor: Int32
    private let path: String
    /// The size when opened, so a small message gets a small buffer.
    private let size: Int

    public init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try POSIX.check(descriptor, "open", path)
        var info = stat()
        fstat(descriptor, &info)
        self.descriptor = descriptor
        self.path = path
        self.size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Up to `maximum` octets; fewer (a short read) only at the end of the file.
    public func read(maximum: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        // One octet more than what remains, so the end shows as a short read in this same call.
        let position = Int(lseek(descriptor, 0, SEEK_CUR))
        let maximum = min(maximum, max(size - position, 0) + 1)
        var buffer = allocator.buffer(capacity: maximum)
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) { pointer -> Int in
            while true {
                let count = Glibc.read(descriptor, pointer.baseAddress, maximum)
                if count >= 0 { return count }
                if errno != EINTR {
                    failure = errno
                    return 0
                }
            }
        }
        if failure != 0 { throw StorageError(operation: "read", path: path, code: failure) }
        return buffer
    }
}

/// The entries of a directory, without "." and "..".
public enum DirectoryListing {
    public static func names(in path: String) throws -> [String] {
        guard let handle = opendir(path) else { throw StorageError(operation: "opendir", path: path, code: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
