#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaildirStore

/// New UIDVALIDITY values for a user's folders, from `dovecot-uidvalidity` in the Maildir root
/// as Dovecot keeps it (mailbox-uidvalidity.c): the file holds the last value in 8 hex digits,
/// and an empty marker `dovecot-uidvalidity.<8 hex>` names it too, so two processes racing
/// for the next value are settled by rename(), which only one of them wins.
///
/// The first value is the current time, so a folder deleted and created again gets a
/// UIDVALIDITY it never had before (RFC 3501 §2.3.1.1).
public enum UIDValidity {
    public static let fileName = "dovecot-uidvalidity"
    static let retries = 10

    public static func next(root: String) throws -> UInt32 {
        let path = "\(root)/\(fileName)"
        if let bytes = try FileIO.readIfPresent(path),
           let current = UInt32(String(decoding: bytes.prefix(8), as: UTF8.self), radix: 16),
           let value = advanceMarker(path: path, from: current) {
            try store(path: path, value: value)
            return value
        }
        return try rescan(root: root, path: path)
    }

    /// Renames `<path>.<current>` to `<path>.<current+1>`, trying a few values further on when
    /// another process got there first. nil when there is no marker to rename.
    static func advanceMarker(path: String, from current: UInt32) -> UInt32? {
        var value = current
        for _ in 0..<retries {
            let source = "\(path).\(hex(value))"
            value &+= 1
            if rename(source, "\(path).\(hex(value))") == 0 { return value }
            if errno != ENOENT { return nil }
        }
        return nil
    }

    /// No usable file: find the highest marker, or start from the current time.
    static func rescan(root: String, path: String) throws -> UInt32 {
        let prefix = "\(fileName)."
        let markers = try DirectoryListing.names(in: root).compactMap { name -> UInt32? in
            name.hasPrefix(prefix) ? UInt32(name.dropFirst(prefix.count), radix: 16) : nil
        }
        if let highest = markers.max() {
            if let lowest = markers.min(), lowest != highest { unlink("\(path).\(hex(lowest))") }
            guard let value = advanceMarker(path: path, from: highest) else { return timeBased() }
            try store(path: path, value: value)
            return value
        }
        var value = timeBased()
        for _ in 0..<retries {
            let descriptor = open("\(path).\(hex(value))", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
            if descriptor >= 0 {
                close(descriptor)
                break
            }
            guard errno == EEXIST else { throw FileIO.fail("open", "\(path).\(hex(value))") }
            value &+= 1
        }
        try store(path: path, value: value)
        return value
    }

    static func store(path: String, value: UInt32) throws {
        try FileIO.replace(path: path, with: hex(value))
    }

    /// Dovecot's fallback when the file cannot be used: the current time.
    static func timeBased() -> UInt32 {
        UInt32(clamping: FileIO.now())
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
