@testable import DNSClient

/// Builds DNS messages octet by octet for the codec tests, so each test shows exactly the wire
/// form it feeds the parser (compression pointers, bad lengths and all).
struct PacketBuilder {
    var bytes: [UInt8] = []

    /// A response header: QR=1, RD=1, RA=1, plus `flags` (e.g. AD 0x0020, TC 0x0200) and `rcode`.
    init(id: UInt16 = 0x1234, flags: UInt16 = 0, rcode: UInt8 = 0,
         questions: Int = 1, answers: Int = 0, authority: Int = 0, additional: Int = 0) {
        let all = 0x8180 | flags | UInt16(rcode)
        u16(id)
        u16(all)
        for count in [questions, answers, authority, additional] { u16(UInt16(count)) }
    }

    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }
    mutating func u32(_ value: UInt32) { u16(UInt16(value >> 16)); u16(UInt16(value & 0xFFFF)) }

    /// An uncompressed name; returns its offset, for pointers to it.
    @discardableResult
    mutating func name(_ text: String) -> Int {
        let start = bytes.count
        if text != "." {
            for label in text.split(separator: ".") {
                bytes.append(UInt8(label.utf8.count))
                bytes += Array(label.utf8)
            }
        }
        bytes.append(0)
        return start
    }

    mutating func pointer(to offset: Int) { u16(0xC000 | UInt16(offset)) }

    mutating func question(_ text: String, _ type: DNSRecordType) {
        name(text)
        u16(type.rawValue)
        u16(1)
    }

    /// A record's fixed part after its name, then `rdata` (RDLENGTH computed unless given).
    mutating func recordTail(_ type: DNSRecordType, ttl: UInt32 = 300, rdata: [UInt8], rdlength: Int? = nil) {
        u16(type.rawValue)
        u16(1)
        u32(ttl)
        u16(UInt16(rdlength ?? rdata.count))
        bytes += rdata
    }

    mutating func record(_ owner: String, _ type: DNSRecordType, ttl: UInt32 = 300, rdata: [UInt8]) {
        name(owner)
        recordTail(type, ttl: ttl, rdata: rdata)
    }

    /// OPT (RFC 6891 §6.1.2) with the given extended RCODE bits and DO.
    mutating func opt(payload: UInt16 = 1232, extendedRcode: UInt8 = 0, dnssecOK: Bool = false) {
        bytes.append(0)
        u16(41)
        u16(payload)
        u32(UInt32(extendedRcode) << 24 | (dnssecOK ? 0x8000 : 0))
        u16(0)
    }

    static func wireName(_ text: String) -> [UInt8] {
        var builder = PacketBuilder(questions: 0)
        builder.bytes = []
        builder.name(text)
        return builder.bytes
    }

    static func soaData(minimum: UInt32) -> [UInt8] {
        var builder = PacketBuilder(questions: 0)
        builder.bytes = []
        builder.name("ns.test")
        builder.name("hostmaster.test")
        for value in [1, 3600, 600, 86400, minimum] { builder.u32(value) }
        return builder.bytes
    }

    var message: DNSMessage { get throws { try DNSMessage(parsing: bytes) } }
}

extension DNSQuery {
    /// The query the hand-built packets answer: ID 0x1234.
    static func test(_ name: String, _ type: DNSRecordType) -> DNSQuery {
        DNSQuery(id: 0x1234, name: try! DNSName(name), type: type)
    }
}
