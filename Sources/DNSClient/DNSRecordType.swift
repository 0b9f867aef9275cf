/// A resource record TYPE (RFC 1035 §3.2.2 and later registrations). A struct rather than an
/// enum so that any type a server sends can be kept, opaque, without a parse failure.
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSRecordType(rawValue: 1)
    public static let ns = DNSRecordType(rawValue: 2)
    public static let cname = DNSRecordType(rawValue: 5)
    public static let soa = DNSRecordType(rawValue: 6)
    public static let ptr = DNSRecordType(rawValue: 12)
    public static let mx = DNSRecordType(rawValue: 15)
    public static let txt = DNSRecordType(rawValue: 16)
    public static let aaaa = DNSRecordType(rawValue: 28)
    public static let opt = DNSRecordType(rawValue: 41)  // RFC 6891 §6.1.1
    public static let tlsa = DNSRecordType(rawValue: 52)  // RFC 6698 §7.1

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .opt: "OPT"
        case .tlsa: "TLSA"
        default: "TYPE\(rawValue)"  // RFC 3597 §5
        }
    }
}

/// CLASS IN (RFC 1035 §3.2.4), the only class a mail server asks about.
public let dnsClassIN: UInt16 = 1
