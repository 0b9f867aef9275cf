/// A folder's `dovecot-uidlist`: UIDVALIDITY, the next UID and the UID of each message file,
/// in the format Dovecot 1.1 and later read and write (maildir-uidlist.c):
///
///     3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1
///     25020 W2471 S2412 P1275660001.M1P2Q3.host :1275660001.M1P2Q3.host,S=2412,W=2471
///
/// The header and each record carry `<key><value>` fields in any order; the file name comes
/// last after ":". Version 1 files (`1 <uidvalidity> <nextuid>`, records `<uid> <name>`, as
/// Courier's courierimapuiddb) are read too. Records are keyed by the name up to the info
/// separator ":" (maildir_filename_base_cmp), so flag changes never change a UID.
public struct UIDList: Sendable, Equatable {
    public static let fileName = "dovecot-uidlist"

    public var uidValidity: UInt32
    /// The header's N; Dovecot appends lines without raising it, so see `nextUID`.
    public var headerNextUID: UInt32
    /// 32 hex digits; Dovecot rewrites a uidlist without one, so we always write one.
    public var mailboxGUID: String
    /// Header fields we do not interpret, kept as written ("K…").
    public var otherHeaderFields: [String]
    /// Ascending by UID.
    public var records: [UIDListRecord]
    /// The file as read is not one Dovecot would keep (version 1, no mailbox GUID): rewrite
    /// it rather than append to it.
    public internal(set) var needsRewrite = false

    public init(uidValidity: UInt32, nextUID: UInt32 = 1, mailboxGUID: String = MailboxGUID.generate(),
                otherHeaderFields: [String] = [], records: [UIDListRecord] = []) {
        self.uidValidity = uidValidity
        self.headerNextUID = nextUID
        self.mailboxGUID = mailboxGUID
        self.otherHeaderFields = otherHeaderFields
        self.records = records
    }

    /// The UID the next new message gets: max(N, last UID + 1), as Dovecot's reader computes it.
    public var nextUID: UInt32 {
        max(headerNextUID, (records.last?.uid ?? 0) + 1)
    }

    public var text: String {
        var header = "3 V\(uidValidity) N\(nextUID) G\(mailboxGUID)"
        for field in otherHeaderFields { header += " \(field)" }
        return header + "\n" + records.map(\.line).joined()
    }
}

/// One message: its UID, extension fields and file name stem.
public struct UIDListRecord: Sendable, Equatable {
    public var uid: UInt32
    /// The file name up to ":" (base name and `,S=…,W=…`), without the flags.
    public var fileStem: String
    /// `<key><value>` fields in file order: W (size with CRLF), S (file size), P (POP3 UIDL),
    /// O (POP3 order), G (message GUID), M and others; kept as written.
    public var fields: [String]

    public init(uid: UInt32, fileStem: String, fields: [String] = []) {
        self.uid = uid
        self.fileStem = fileStem
        self.fields = fields
    }

    public func field(_ key: Character) -> String? {
        fields.first { $0.first == key }.map { String($0.dropFirst()) }
    }

    public mutating func setField(_ key: Character, _ value: String) {
        fields.removeAll { $0.first == key }
        fields.append("\(key)\(value)")
    }

    /// The UIDL Dovecot's POP3 answers for this message instead of its `pop3_uidl_format`.
    public var pop3UIDL: String? { field("P") }
    public var virtualSize: Int? { field("W").flatMap { Int($0) } }
    public var physicalSize: Int? { field("S").flatMap { Int($0) } }

    var line: String {
        var line = String(uid)
        for field in fields { line += " \(field)" }
        return line + " :\(fileStem)\n"
    }
}

public enum UIDListError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header cannot be read: Dovecot then deletes the file and starts a new UIDVALIDITY.
    case brokenHeader(String)

    public var description: String {
        switch self {
        case .brokenHeader(let reason): "dovecot-uidlist: broken header (\(reason))"
        }
    }
}

extension UIDList {
    /// Parses a uidlist. The header must be sound (`brokenHeader` otherwise); record lines that
    /// cannot be read are skipped, out-of-order lines are sorted, and when one name appears
    /// under two UIDs the later line wins — each as Dovecot's reader settles it, without
    /// Dovecot's fallback of deleting the file and renumbering everything.
    public init(parsing text: String) throws(UIDListError) {
        // Split on octets: Character-wise splitting is far slower on a 100,000-line file.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { Substring($0) }
        guard !lines.isEmpty else { throw .brokenHeader("empty file") }
        let header = lines.removeFirst()
        let version: Int
        var uidValidity: UInt32 = 0
        var nextUID: UInt32 = 0
        var guid: String?
        var other: [String] = []
        let headerFields = header.split(separator: " ", omittingEmptySubsequences: true)
        switch headerFields.first {
        case "1":
            version = 1
            guard headerFields.count >= 3, let validity = UInt32(headerFields[1]), let next = UInt32(headerFields[2]) else {
                throw .brokenHeader("version 1")
            }
            uidValidity = validity
            nextUID = next
        case "3":
            version = 3
            for field in headerFields.dropFirst() {
                let value = field.dropFirst()
                switch field.first {
                case "V": uidValidity = UInt32(value) ?? 0
                case "N": nextUID = UInt32(value) ?? 0
                case "G":
                    guard MailboxGUID.isValid(value) else { throw .brokenHeader("invalid mailbox GUID") }
                    guid = String(value)
                default: other.append(String(field))
                }
            }
        default:
            throw .brokenHeader("unsupported version")
        }
        guard uidValidity != 0, nextUID != 0 else { throw .brokenHeader("uidvalidity \(uidValidity), next uid \(nextUID)") }

        var byStem: [String: UIDListRecord] = [:]
        for line in lines {
            guard let record = Self.parseRecord(line, version: version) else { continue }
            byStem[record.fileStem] = record
        }
        // Two names under one UID cannot both be right: keep the first name's, drop the other.
        var seenUIDs = Set<UInt32>()
        let records = byStem.values.sorted { ($0.uid, $0.fileStem) < ($1.uid, $1.fileStem) }.filter { seenUIDs.insert($0.uid).inserted }
        self.init(uidValidity: uidValidity, nextUID: nextUID, mailboxGUID: guid ?? MailboxGUID.generate(),
                  otherHeaderFields: other, records: records)
        // A last line without its LF (a writer that died mid-line): an append would run on
        // from it, so the file is written whole first.
        needsRewrite = version != 3 || guid == nil || text.utf8.last != UInt8(ascii: "\n")
    }

    /// One record line, read as octets (a 100,000-line file parses in a fraction of a second).
    static func parseRecord(_ line: Substring, version: Int) -> UIDListRecord? {
        let bytes = line.utf8
        var index = bytes.startIndex
        var uid: UInt64 = 0
        while index != bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            uid = uid * 10 + UInt64(bytes[index] - UInt8(ascii: "0"))
            guard uid < UInt64(UInt32.max) else { return nil }
            index = bytes.index(after: index)
        }
        guard uid != 0, index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") else { return nil }
        func skipSpaces() {
            while index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index = bytes.index(after: index) }
        }
        skipSpaces()
        var fields: [String] = []
        if version == 3 {
            // Fields until one starting with ":"; a record written without ":" has none, and
            // its last word is the name.
            while index != bytes.endIndex, bytes[index] != UInt8(ascii: ":") {
                var end = index
                while end != bytes.endIndex, bytes[end] != UInt8(ascii: " ") { end = bytes.index(after: end) }
                if end == bytes.endIndex { break }
                if (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[index]) {
                    fields.append(String(Substring(bytes[index..<end])))
                }
                index = end
                skipSpaces()
            }
            if index != bytes.endIndex, bytes[index] == UInt8(ascii: ":") { index = bytes.index(after: index) }
        }
        let name = bytes[index...]
        let stemEnd = name.firstIndex(of: UInt8(ascii: ":")) ?? name.endIndex
        let stem = name[name.startIndex..<stemEnd]
        guard !stem.isEmpty, !stem.contains(UInt8(ascii: "/")) else { return nil }
        return UIDListRecord(uid: UInt32(uid), fileStem: String(Substring(stem)), fields: fields)
    }
}

/// The mailbox GUID in the uidlist header: 128 bits in hex (Dovecot's guid_128).
public enum MailboxGUID {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    static func isValid<S: StringProtocol>(_ text: S) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
    }
}
