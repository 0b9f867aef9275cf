/// The data of the record types a mail server needs. Names inside are `DNSName`s; their
/// `description` is the escaped presentation form.

/// RFC 1035 §3.3.9. A null MX (RFC 7505 §3) is preference 0 and the root as exchange.
public struct MXRecord: Hashable, Sendable {
    public var preference: UInt16
    public var exchange: DNSName
    public init(preference: UInt16, exchange: DNSName) {
        self.preference = preference
        self.exchange = exchange
    }
    /// RFC 7505 §3: "MX 0 ." says the domain accepts no mail.
    public var isNullMX: Bool { exchange.isRoot }
}

/// RFC 1035 §3.3.14: one or more character-strings, kept apart; the caller decides how to join
/// them (SPF and DKIM concatenate without separator, RFC 7208 §3.3, RFC 6376 §3.6.2.2).
public struct TXTRecord: Hashable, Sendable {
    public var strings: [[UInt8]]
    public init(strings: [[UInt8]]) { self.strings = strings }
}

/// RFC 6698 §2.1.
public struct TLSARecord: Hashable, Sendable {
    public var usage: UInt8
    public var selector: UInt8
    public var matchingType: UInt8
    public var associationData: [UInt8]
    public init(usage: UInt8, selector: UInt8, matchingType: UInt8, associationData: [UInt8]) {
        self.usage = usage
        self.selector = selector
        self.matchingType = matchingType
        self.associationData = associationData
    }
}

/// RFC 1035 §3.3.13; its MINIMUM bounds the negative-caching TTL (RFC 2308 §5).
public struct SOARecord: Hashable, Sendable {
    public var primaryServer: DNSName
    public var responsibleMailbox: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32
}

/// An IPv4 address from an A record (RFC 1035 §3.4.1): exactly 4 octets.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public let octets: [UInt8]
    init(validated octets: [UInt8]) { self.octets = octets }
    public var description: String { octets.map(String.init).joined(separator: ".") }
}

/// An IPv6 address from an AAAA record (RFC 3596 §2.2): exactly 16 octets.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public let octets: [UInt8]
    init(validated octets: [UInt8]) { self.octets = octets }

    public var description: String { Self.text(octets) }

    /// RFC 5952 §4: lower-case hex, no leading zeros, the longest run (≥ 2) of zero groups as "::".
    /// `octets` must be 16 long.
    public static func text(_ octets: [UInt8]) -> String {
        let groups = (0..<8).map { Int(octets[2 * $0]) << 8 | Int(octets[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 1, index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8, groups[index] == 0 { index += 1 }
            if index - start > bestLength { bestStart = start; bestLength = index - start }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
    }
}

public enum DNSRecordData: Hashable, Sendable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case mx(MXRecord)
    case txt(TXTRecord)
    case tlsa(TLSARecord)
    case ptr(DNSName)
    case cname(DNSName)
    case soa(SOARecord)
    /// Any other type, its RDATA as received (RFC 3597 §4: unknown types are opaque).
    case opaque([UInt8])
}

public struct DNSResourceRecord: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: DNSRecordData
}
