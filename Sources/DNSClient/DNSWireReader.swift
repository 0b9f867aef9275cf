/// Reads a DNS message, bounds-checked: every read past the end throws instead of trapping.
struct DNSWireReader {
    /// RFC 1035 §4.1.4 permits chains of pointers; names are at most 255 octets, so no honest
    /// name needs more than 127 jumps. Fewer are plenty and keep hostile messages cheap.
    static let maximumPointerJumps = 32

    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func u8() throws(DNSParseError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws(DNSParseError) -> UInt16 {
        UInt16(try u8()) << 8 | UInt16(try u8())
    }

    mutating func u32() throws(DNSParseError) -> UInt32 {
        UInt32(try u16()) << 16 | UInt32(try u16())
    }

    mutating func octets(_ count: Int) throws(DNSParseError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A possibly compressed name (RFC 1035 §4.1.4). A pointer must point before the start of
    /// the run of labels it ends, so each jump goes strictly backwards and no loop is possible;
    /// the jumps are also counted. Labels of types 01 and 10 (RFC 6891 §5 retired the extended
    /// label type) are refused, as are names over 255 octets.
    mutating func name() throws(DNSParseError) -> DNSName {
        var labels: [[UInt8]] = []
        var wireLength = 1
        var position = offset
        var segmentStart = offset
        var jumps = 0
        var resumeAt: Int?
        while true {
            guard position < bytes.count else { throw .truncated }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < segmentStart else { throw .compressionPointerNotBackwards }
                jumps += 1
                guard jumps <= Self.maximumPointerJumps else { throw .tooManyCompressionPointers }
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
                segmentStart = target
            case 0x00:
                if length == 0 {
                    offset = resumeAt ?? position + 1
                    return DNSName(validatedLabels: labels)
                }
                let count = Int(length)
                guard position + 1 + count <= bytes.count else { throw .truncated }
                wireLength += 1 + count
                guard wireLength <= DNSName.maximumWireLength else { throw .nameTooLong }
                labels.append(Array(bytes[position + 1...position + count]))
                position += 1 + count
            default:
                throw .unsupportedLabelType
            }
        }
    }
}

public enum DNSParseError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated
    case compressionPointerNotBackwards
    case tooManyCompressionPointers
    case nameTooLong
    case unsupportedLabelType
    case badRecordData(DNSRecordType)
    case multipleOPTRecords
    case trailingBytes
    case messageTooLarge

    public var description: String {
        switch self {
        case .truncated: "message ends early"
        case .compressionPointerNotBackwards: "compression pointer does not point backwards"
        case .tooManyCompressionPointers: "too many compression pointers in a name"
        case .nameTooLong: "name longer than 255 octets"
        case .unsupportedLabelType: "unsupported label type"
        case .badRecordData(let type): "malformed \(type) record data"
        case .multipleOPTRecords: "more than one OPT record"
        case .trailingBytes: "bytes after the last record"
        case .messageTooLarge: "message longer than 65535 octets"
        }
    }
}
