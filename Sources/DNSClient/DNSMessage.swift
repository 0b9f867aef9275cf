/// The header flags of a message (RFC 1035 §4.1.1, RFC 4035 §3.2.3 for AD).
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool  // QR
    public var opcode: UInt8
    public var authoritative: Bool  // AA
    public var truncated: Bool  // TC
    public var recursionDesired: Bool  // RD
    public var recursionAvailable: Bool  // RA
    public var authenticData: Bool  // AD
    public var checkingDisabled: Bool  // CD
    /// The low 4 bits of the RCODE; `DNSMessage.responseCode` adds the OPT's upper 8.
    public var rcode: UInt8
}

/// What an OPT pseudo-record carries (RFC 6891 §6.1.3).
public struct DNSEDNS: Hashable, Sendable {
    public var udpPayloadSize: UInt16
    public var extendedRcode: UInt8
    public var version: UInt8
    public var dnssecOK: Bool  // DO, RFC 3225 §3
}

public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var questionClass: UInt16

    public init(name: DNSName, type: DNSRecordType, questionClass: UInt16 = dnsClassIN) {
        self.name = name
        self.type = type
        self.questionClass = questionClass
    }
}

/// A parsed DNS message. OPT is taken out of the additional section into `edns`.
public struct DNSMessage: Hashable, Sendable {
    /// RFC 1035 §4.2.2: a TCP message has a 16-bit length; nothing larger exists.
    public static let maximumLength = 65535

    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authority: [DNSResourceRecord]
    public var additional: [DNSResourceRecord]
    public var edns: DNSEDNS?

    /// The full 12-bit RCODE: the OPT's extended bits above the header's 4 (RFC 6891 §6.1.3).
    public var responseCode: UInt16 {
        UInt16(edns?.extendedRcode ?? 0) << 4 | UInt16(header.rcode)
    }

    public init(parsing bytes: [UInt8]) throws(DNSParseError) {
        guard bytes.count <= Self.maximumLength else { throw .messageTooLarge }
        var reader = DNSWireReader(bytes)
        let id = try reader.u16()
        let flags = try reader.u16()
        header = DNSHeader(
            id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8(flags >> 11 & 0xF),
            authoritative: flags & 0x0400 != 0, truncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0,
            rcode: UInt8(flags & 0xF))
        let questionCount = Int(try reader.u16())
        let answerCount = Int(try reader.u16())
        let authorityCount = Int(try reader.u16())
        let additionalCount = Int(try reader.u16())
        // Each count is checked against the bytes as records are read, so a count of 65535
        // in a short message fails at once rather than reserving memory.
        questions = []
        for _ in 0..<questionCount {
            questions.append(DNSQuestion(name: try reader.name(), type: DNSRecordType(rawValue: try reader.u16()),
                                         questionClass: try reader.u16()))
        }
        answers = try Self.records(answerCount, from: &reader)
        authority = try Self.records(authorityCount, from: &reader)
        let allAdditional = try Self.records(additionalCount, from: &reader)
        // A UDP reply may be padded by some servers, but a message parsed by us is exactly its
        // records; stray bytes mean we misread its structure.
        guard reader.remaining == 0 else { throw .trailingBytes }
        additional = allAdditional.filter { $0.type != .opt }
        let options = allAdditional.filter { $0.type == .opt }
        // RFC 6891 §6.1.1: more than one OPT makes the message malformed.
        guard options.count <= 1 else { throw .multipleOPTRecords }
        edns = options.first.map { opt in
            DNSEDNS(udpPayloadSize: opt.recordClass, extendedRcode: UInt8(opt.ttl >> 24),
                    version: UInt8(opt.ttl >> 16 & 0xFF), dnssecOK: opt.ttl & 0x8000 != 0)
        }
    }

    private static func records(_ count: Int, from reader: inout DNSWireReader) throws(DNSParseError) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        for _ in 0..<count {
            records.append(try record(from: &reader))
        }
        return records
    }

    /// RFC 1035 §4.1.3.
    private static func record(from reader: inout DNSWireReader) throws(DNSParseError) -> DNSResourceRecord {
        let name = try reader.name()
        let type = DNSRecordType(rawValue: try reader.u16())
        let recordClass = try reader.u16()
        let ttl = try reader.u32()
        let length = Int(try reader.u16())
        guard length <= reader.remaining else { throw .truncated }
        let end = reader.offset + length
        let data = try DNSRecordDataParser.parse(type: type, length: length, reader: &reader)
        // The RDATA must be consumed exactly: a name running past RDLENGTH, or bytes left over,
        // mean the record is not what its type says.
        guard reader.offset == end else { throw .badRecordData(type) }
        return DNSResourceRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data)
    }
}

enum DNSRecordDataParser {
    static func parse(type: DNSRecordType, length: Int, reader: inout DNSWireReader) throws(DNSParseError) -> DNSRecordData {
        let end = reader.offset + length
        switch type {
        case .a:
            guard length == 4 else { throw .badRecordData(type) }
            return .a(IPv4Address(validated: try reader.octets(4)))
        case .aaaa:
            guard length == 16 else { throw .badRecordData(type) }
            return .aaaa(IPv6Address(validated: try reader.octets(16)))
        case .mx:
            // RFC 1035 §3.3.9; the exchange may be compressed (RFC 3597 §4).
            let preference = try reader.u16()
            return .mx(MXRecord(preference: preference, exchange: try reader.name()))
        case .cname:
            return .cname(try reader.name())
        case .ptr:
            return .ptr(try reader.name())
        case .soa:
            return .soa(SOARecord(primaryServer: try reader.name(), responsibleMailbox: try reader.name(),
                                  serial: try reader.u32(), refresh: try reader.u32(), retry: try reader.u32(),
                                  expire: try reader.u32(), minimum: try reader.u32()))
        case .txt:
            // RFC 1035 §3.3.14: one or more <character-string>s, each a length octet and data.
            guard length > 0 else { throw .badRecordData(type) }
            var strings: [[UInt8]] = []
            repeat {
                let count = Int(try reader.u8())
                guard reader.offset + count <= end else { throw .badRecordData(type) }
                strings.append(try reader.octets(count))
            } while reader.offset < end
            return .txt(TXTRecord(strings: strings))
        case .tlsa:
            // RFC 6698 §2.1: three octets, then the association data (the rest).
            guard length >= 3 else { throw .badRecordData(type) }
            return .tlsa(TLSARecord(usage: try reader.u8(), selector: try reader.u8(), matchingType: try reader.u8(),
                                    associationData: try reader.octets(length - 3)))
        default:
            return .opaque(try reader.octets(length))
        }
    }
}
