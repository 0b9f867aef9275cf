/// A domain name as a sequence of labels (RFC 1035 §3.1). Equality and hashing ignore ASCII case
/// (RFC 4343 §2), so a response's question and its owner names match the query however a
/// server (or a 0x20-randomising resolver) cased them.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 255 octets on the wire.
    public static let maximumLabelLength = 63
    public static let maximumWireLength = 255

    public let labels: [[UInt8]]

    public static let root = DNSName(validatedLabels: [])

    init(validatedLabels: [[UInt8]]) {
        labels = validatedLabels
    }

    /// A name from its presentation text ("mx.example.org", a trailing dot allowed, "." is the
    /// root). Only printable ASCII other than space is accepted: mail domains are looked up as
    /// A-labels (RFC 5890), and escapes are not needed for host names.
    public init(_ text: String) throws(DNSNameError) {
        if text == "." {
            self = .root
            return
        }
        var body = Array(text.utf8)
        if body.last == UInt8(ascii: ".") { body.removeLast() }
        guard !body.isEmpty else { throw .empty }
        guard body.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .invalidCharacter }
        let labels = body.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Array.init)
        guard labels.allSatisfy({ !$0.isEmpty }) else { throw .emptyLabel }
        guard labels.allSatisfy({ $0.count <= Self.maximumLabelLength }) else { throw .labelTooLong }
        let name = DNSName(validatedLabels: labels)
        guard name.wireLength <= Self.maximumWireLength else { throw .nameTooLong }
        self = name
    }

    public var isRoot: Bool { labels.isEmpty }

    /// Octets on the wire, uncompressed: a length octet per label, the labels, the root's zero.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    /// The labels ASCII-lowercased, the form compared and cached.
    public var canonicalLabels: [[UInt8]] {
        labels.map { $0.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.canonicalLabels == rhs.canonicalLabels
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(canonicalLabels)
    }

    /// Presentation format without the final dot ("." for the root). Dots and backslashes inside
    /// a label and octets outside printable ASCII are escaped as RFC 1035 §5.1 says (`\.`,
    /// `\\`, `\DDD`), so a hostile label such as "a.b" cannot pass for two labels.
    public var description: String {
        if isRoot { return "." }
        return labels.map(Self.escaped).joined(separator: ".")
    }

    private static func escaped(_ label: [UInt8]) -> String {
        var text = ""
        for octet in label {
            switch octet {
            case UInt8(ascii: "."), UInt8(ascii: "\\"):
                text += "\\" + String(UnicodeScalar(octet))
            case 0x21...0x7E:
                text.unicodeScalars.append(UnicodeScalar(octet))
            default:
                let digits = String(octet)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text
    }

    /// The uncompressed wire form (RFC 1035 §3.1), as queries carry it.
    func write(to bytes: inout [UInt8]) {
        for label in labels {
            bytes.append(UInt8(label.count))
            bytes += label
        }
        bytes.append(0)
    }
}

public enum DNSNameError: Error, Hashable, Sendable {
    case empty, emptyLabel, labelTooLong, nameTooLong, invalidCharacter
}
