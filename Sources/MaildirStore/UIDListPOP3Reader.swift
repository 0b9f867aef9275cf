#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POP3 UIDLs a Maildir's `dovecot-uidlist` fixes: the `P` field of its records
/// (maildir-uidlist.c, MAILDIR_UIDLIST_REC_EXT_POP3_UIDL). A Maildir that came from Dovecot
/// keeps the UIDLs its POP3 clients already know, so they never fetch a message twice.
///
/// IMAPStore owns the full uidlist parser; MaildirStore cannot import it, so this reads only
/// what POP3 needs: the version-3 header line, then record lines `<uid> [<key><value> …] :<name>`.
/// Anything it cannot read (no file, another version, garbage lines, an unprintable or too
/// long `P`) simply yields no override, and POP3 falls back to `Maildrop.uid(ofFileNamed:)`.
enum UIDListPOP3Reader {
    static let fileName = "dovecot-uidlist"
    /// Far above a 100,000-message uidlist (~15 MB); a larger file is not read at all.
    static let maximumFileSize = 64 * 1024 * 1024

    /// File stem (the name up to ":") → UIDL, from the Maildir's uidlist; empty when it has none.
    static func overrides(maildir: String) -> [String: String] {
        guard let bytes = readFile("\(maildir)/\(fileName)") else { return [:] }
        return overrides(parsing: bytes)
    }

    static func overrides(parsing bytes: [UInt8]) -> [String: String] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)[...]
        // Version 3 only: version 1 (Courier, Dovecot 1.0) records carry no fields.
        guard let header = lines.popFirst(), header.first == UInt8(ascii: "3"),
              header.count == 1 || header[header.startIndex + 1] == UInt8(ascii: " ") else { return [:] }
        var result: [String: String] = [:]
        for line in lines {
            if let (stem, uidl) = record(line) { result[stem] = uidl }
        }
        return result
    }

    /// The file stem and `P` value of one record line, or nil.
    static func record(_ line: ArraySlice<UInt8>) -> (String, String)? {
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard let first = words.first, !first.isEmpty, first.count <= 10,
              first.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        var uidl: String?
        var nameStart: ArraySlice<UInt8>.Index?
        for word in words.dropFirst() {
            if word.first == UInt8(ascii: ":") {
                nameStart = word.startIndex + 1
                break
            }
            if word.first == UInt8(ascii: "P"), word.count > 1 { uidl = String(decoding: word.dropFirst(), as: UTF8.self) }
        }
        // The name runs to the end of the line (it may not contain spaces, but keep it whole).
        guard let uidl, let nameStart else { return nil }
        let name = line[nameStart...]
        let stem = name.prefix { $0 != UInt8(ascii: ":") }
        guard !stem.isEmpty, !stem.contains(UInt8(ascii: "/")) else { return nil }
        // RFC 1939 §7: 1–70 characters in 0x21–0x7E; anything else could not be sent.
        guard uidl.utf8.count <= 70, uidl.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return (String(decoding: stem, as: UTF8.self), uidl)
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size >= 0, Int(info.st_size) <= maximumFileSize else { return nil }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= maximumFileSize {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
        return nil  // grew past the limit while being read
    }
}
