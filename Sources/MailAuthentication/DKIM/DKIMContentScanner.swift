#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One header field as received, for DKIM and for reading From.
public struct MessageHeaderField: Sendable, Equatable {
    /// The name as written (case kept).
    public var name: String
    /// The whole field as on the wire: name, colon, value with its folding, CRLF line ends,
    /// the final CRLF included (what "simple" header canonicalization hashes).
    public var raw: [UInt8]

    public init(name: String, raw: [UInt8]) {
        self.name = name
        self.raw = raw
    }

    /// Makes a field from LF-ended text ("Name: value\n", folded lines allowed).
    public init?(text: String) {
        var raw: [UInt8] = []
        var utf8 = Array(text.utf8)
        if utf8.last != 0x0A { utf8.append(0x0A) }
        raw.reserveCapacity(utf8.count + 8)
        for byte in utf8 {
            if byte == 0x0A {
                raw.append(0x0D)
            } else if byte == 0x0D {
                continue  // already CRLF: taken as LF form
            }
            raw.append(byte)
        }
        guard let name = Self.name(of: raw) else { return nil }
        self.init(name: name, raw: raw)
    }

    /// The value with folding removed (RFC 5322 §2.2.3), leading whitespace dropped.
    public var unfoldedValue: String {
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return "" }
        var value = raw[(colon + 1)...].filter { $0 != 0x0D && $0 != 0x0A }[...]
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        return String(decoding: value, as: UTF8.self)
    }

    /// The field name of a raw line: the text before the colon, trailing whitespace removed
    /// (RFC 5322 §4.5.2 obsolete syntax allows it). Nil without a colon or with an empty name.
    static func name(of raw: [UInt8]) -> String? {
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var name = raw[raw.startIndex..<colon]
        while let last = name.last, last == 0x20 || last == 0x09 { name = name.dropLast() }
        guard !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: name, as: UTF8.self)
    }
}

/// Reads a message as the SMTP content decoder produces it (local form: LF line ends,
/// dot-unstuffed), in pieces, keeping the header fields (bounded) and hashing the body for
/// DKIM as it passes, so nothing but the header stays in memory. Line ends are hashed as CRLF
/// (RFC 6376 §3.4: canonicalization works on the CRLF form).
public struct DKIMContentScanner: Sendable {
    public enum Purpose: Sendable {
        /// A relaxed body hash (SHA-256) for our own signature.
        case signing
        /// Body hashes for each DKIM-Signature in the header, up to `maximumSignatures` of them
        /// (the rest are reported as not checked), with their canonicalization and l=.
        case verifying(maximumSignatures: Int)
    }

    /// Header kept: octets (CRLF form) and fields. Beyond either, `headerTooLarge`.
    static let maximumHeaderOctets = 128 * 1024
    static let maximumHeaderFields = 1000

    private let purpose: Purpose
    private var inBody = false
    private var fields: [MessageHeaderField] = []
    private var headerTooLarge = false
    private var headerOctets = 0
    /// The header line being read (without its LF), while the header is within bounds.
    private var line: [UInt8] = []
    /// Octets of the header line being read (also counted when not kept).
    private var lineLength = 0
    /// The field being read (CRLF form), empty when none.
    private var field: [UInt8] = []
    private var hashers: [BodyHasher] = []

    public init(purpose: Purpose) {
        self.purpose = purpose
    }

    /// Feeds the next piece of content.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var start = 0
        let count = bytes.count
        while start < count {
            // The next LF, found by memchr: no per-byte work in Swift for long lines.
            let found = memchr(base + start, 0x0A, count - start)
            let end = found.map { base.distance(to: UnsafeRawPointer($0)) } ?? count
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if inBody {
                for index in hashers.indices { hashers[index].update(piece) }
                if found != nil {
                    for index in hashers.indices { hashers[index].endLine() }
                }
            } else {
                appendToHeaderLine(piece)
                if found != nil { endHeaderLine() }
            }
            start = end + 1
        }
    }

    /// The end of the content: the header fields and the body hashes.
    public mutating func finish() -> ScannedMessage {
        if !inBody {
            // A header that ends at EOF, with or without a last LF: no body.
            if lineLength > 0 { endHeaderLine() }
            if !inBody { endHeader() }
        }
        var message = ScannedMessage(headerFields: fields, headerTooLarge: headerTooLarge)
        if case .verifying(let maximum) = purpose { message.maximumSignatures = maximum }
        for index in hashers.indices {
            message.bodyHashes[hashers[index].key] = hashers[index].finish()
        }
        hashers = []
        return message
    }

    private mutating func appendToHeaderLine(_ piece: UnsafeRawBufferPointer) {
        lineLength += piece.count
        guard !headerTooLarge, !piece.isEmpty else { return }
        if headerOctets + field.count + line.count + piece.count + 2 > Self.maximumHeaderOctets {
            let first = line.first ?? piece[0]
            markTooLarge(continuing: first == 0x20 || first == 0x09)
            return
        }
        line.append(contentsOf: piece)
    }

    private mutating func endHeaderLine() {
        defer {
            line.removeAll(keepingCapacity: true)
            lineLength = 0
        }
        if lineLength == 0 {
            // The empty line: the header ends, the body starts (RFC 5322 §2.1).
            endHeader()
            return
        }
        guard !headerTooLarge else { return }
        if let first = line.first, first == 0x20 || first == 0x09, !field.isEmpty {
            field += line
        } else {
            flushField()
            guard !headerTooLarge else { return }
            field = line
        }
        field.append(0x0D)
        field.append(0x0A)
    }

    private mutating func flushField() {
        guard !field.isEmpty else { return }
        defer { field = [] }
        guard fields.count < Self.maximumHeaderFields else {
            headerTooLarge = true
            line = []
            return
        }
        headerOctets += field.count
        // A line that is not a field (no colon): kept under its whole text as name, so it
        // is counted and canonicalized like the rest but matches no h= name.
        let name = MessageHeaderField.name(of: field) ?? String(decoding: field.prefix(64), as: UTF8.self)
        fields.append(MessageHeaderField(name: name, raw: field))
    }

    /// The header outgrows its bounds on the current line: the field before it is complete and
    /// kept, unless this line continues it (then it is cut, so dropped).
    private mutating func markTooLarge(continuing: Bool) {
        if !continuing { flushField() }
        headerTooLarge = true
        line = []
        field = []
    }

    private mutating func endHeader() {
        flushField()
        inBody = true
        var keys: [BodyHashKey] = []
        switch purpose {
        case .signing:
            keys = [BodyHashKey(canonicalization: .relaxed, limit: nil)]
        case .verifying(let maximum):
            var seen = 0
            for field in fields where field.name.dkimASCIILowercased == "dkim-signature" {
                guard seen < maximum else { break }
                seen += 1
                guard let key = DKIMSignature.bodyHashKey(of: field) else { continue }
                if !keys.contains(key) { keys.append(key) }
            }
        }
        hashers = keys.map { BodyHasher($0) }
    }
}

/// A message as DKIM needs it: its header fields in order (top first) and its body hashes.
public struct ScannedMessage: Sendable {
    /// Top first. The server may insert fields it adds above the content (an added Message-ID
    /// or Date) before signing.
    public var headerFields: [MessageHeaderField]
    /// The header was longer than the scanner keeps (its fields beyond are missing).
    public var headerTooLarge: Bool
    /// The body hashes the scanner made, by body canonicalization and l=.
    var bodyHashes: [BodyHashKey: BodyHash] = [:]
    /// How many DKIM-Signature fields (from the top) got body hashes when verifying.
    var maximumSignatures = 0

    init(headerFields: [MessageHeaderField], headerTooLarge: Bool) {
        self.headerFields = headerFields
        self.headerTooLarge = headerTooLarge
    }

    /// The header From's domain (lower-cased), when there is exactly one From field with
    /// exactly one address; nil otherwise (RFC 7489 §6.6.1: such messages get no DMARC pass).
    public var fromDomain: String? {
        let froms = headerFields.filter { $0.name.dkimASCIILowercased == "from" }
        guard froms.count == 1, let from = froms.first else { return nil }
        return FromAddress.singleDomain(from.unfoldedValue)
    }
}
