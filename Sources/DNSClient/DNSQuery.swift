/// One question to a recursive resolver, and its wire form.
public struct DNSQuery: Hashable, Sendable {
    /// RFC 6891 §6.2.5 and the DNS Flag Day 2020 advice: 1232 octets fits an IPv6 minimum MTU
    /// without fragmentation, which spoofers exploit.
    public static let advertisedUDPPayloadSize: UInt16 = 1232

    public var id: UInt16
    public var name: DNSName
    public var type: DNSRecordType
    /// DO (RFC 3225 §3): ask for DNSSEC records, and so for a meaningful AD bit (RFC 6840 §5.7).
    public var dnssecOK: Bool

    public init(id: UInt16, name: DNSName, type: DNSRecordType, dnssecOK: Bool = false) {
        self.id = id
        self.name = name
        self.type = type
        self.dnssecOK = dnssecOK
    }

    /// A query with a random ID: with a random source port, the only defence of a stub resolver
    /// against off-path spoofing (RFC 5452 §9.2). The system generator reads the kernel's CSPRNG.
    public static func random(name: DNSName, type: DNSRecordType, dnssecOK: Bool = false) -> DNSQuery {
        var generator = SystemRandomNumberGenerator()
        return DNSQuery(id: UInt16.random(in: .min ... .max, using: &generator), name: name, type: type, dnssecOK: dnssecOK)
    }

    /// RFC 1035 §4.1: header with RD=1 (we ask a recursive resolver), one question (class IN)
    /// and an OPT record (RFC 6891 §6.1.2) advertising our payload size.
    public func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + name.wireLength + 4 + 11)
        bytes += [UInt8(id >> 8), UInt8(id & 0xFF)]
        bytes += [0x01, 0x00]  // QR=0, OPCODE=QUERY, RD=1
        // RFC 6840 §5.7: AD=1 in a query asks for the AD bit in the answer without DO.
        if dnssecOK { bytes[3] |= 0x20 }
        bytes += [0, 1, 0, 0, 0, 0, 0, 1]  // QDCOUNT=1, ANCOUNT=0, NSCOUNT=0, ARCOUNT=1 (OPT)
        name.write(to: &bytes)
        bytes += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, UInt8(dnsClassIN)]
        // OPT: root name, TYPE 41, CLASS = payload size, TTL = ext-rcode 0, version 0, DO flag.
        let size = Self.advertisedUDPPayloadSize
        bytes += [0, 0, 41, UInt8(size >> 8), UInt8(size & 0xFF), 0, 0, dnssecOK ? 0x80 : 0, 0, 0, 0]
        return bytes
    }

    /// Whether `message` answers this query: a response with our ID and exactly our question
    /// (name compared without regard to ASCII case, type, class IN). Anything else is not an
    /// answer (a late reply to an earlier query, or a spoofing attempt) and is ignored
    /// (RFC 5452 §4.1: match ID, question and source).
    public func isAnswered(by message: DNSMessage) -> Bool {
        message.header.isResponse && message.header.id == id && message.header.opcode == 0
            && message.questions == [DNSQuestion(name: name, type: type, questionClass: dnsClassIN)]
    }
}
