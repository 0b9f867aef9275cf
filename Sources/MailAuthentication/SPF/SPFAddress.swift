import DNSClient
/// An IP address as SPF compares it: the client's, or an ip4/ip6 network's (RFC 7208 §5.6).
/// Parsed here rather than by DNSClient because its address types only come out of answers.
public enum SPFAddress: Sendable, Hashable {
    case v4([UInt8])
    case v6([UInt8])

    /// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1". An IPv4-mapped IPv6 address becomes the
    /// IPv4 address: RFC 7208 §5 ("mapped" clients are IPv4 for A lookups and ip4 matching, as
    /// RFC 4291 §2.5.5.2 defines them to be the IPv4 host).
    public init?(_ text: String) {
        if let octets = Self.parseIPv4(Substring(text)) {
            self = .v4(octets)
        } else if let octets = Self.parseIPv6(Substring(text)) {
            if octets[0..<10].allSatisfy({ $0 == 0 }) && octets[10] == 0xFF && octets[11] == 0xFF {
                self = .v4(Array(octets[12...]))
            } else {
                self = .v6(octets)
            }
        } else {
            return nil
        }
    }

    public var octets: [UInt8] {
        switch self {
        case .v4(let octets), .v6(let octets): octets
        }
    }

    var isIPv4: Bool { if case .v4 = self { true } else { false } }

    /// True when both are of one family and agree on the first `prefix` bits.
    func matches(_ network: SPFAddress, prefix: Int) -> Bool {
        guard isIPv4 == network.isIPv4 else { return false }
        let mine = octets, theirs = network.octets
        var bits = min(max(prefix, 0), mine.count * 8), index = 0
        while bits >= 8 {
            guard mine[index] == theirs[index] else { return false }
            bits -= 8
            index += 1
        }
        guard bits > 0 else { return true }
        let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        return mine[index] & mask == theirs[index] & mask
    }

    /// The %{i} form (RFC 7208 §7.3): dotted decimal, or 32 dotted nibbles for IPv6.
    var macroForm: String {
        switch self {
        case .v4(let octets):
            return octets.map(String.init).joined(separator: ".")
        case .v6(let octets):
            return octets.flatMap { [String($0 >> 4, radix: 16), String($0 & 0xF, radix: 16)] }.joined(separator: ".")
        }
    }

    /// The %{c} form and the text handed to PTR lookups: RFC 5952 §4 for IPv6.
    var text: String {
        switch self {
        case .v4(let octets):
            return octets.map(String.init).joined(separator: ".")
        case .v6(let octets):
            return IPv6Address.text(octets)
        }
    }

    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt8(part) else { return nil }
            octets.append(value)
        }
        return octets
    }

    static func parseIPv6(_ text: Substring) -> [UInt8]? {
        guard text.count >= 2, text.count <= 45 else { return nil }
        var halves = [text]
        if let gap = text.firstRange(of: "::") {
            halves = [text[..<gap.lowerBound], text[gap.upperBound...]]
            guard halves[1].firstRange(of: "::") == nil else { return nil }
        }
        func groups(_ part: Substring, allowIPv4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowIPv4Tail, piece.contains(".") {
                    guard let tail = parseIPv4(piece) else { return nil }
                    bytes += tail
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), piece.allSatisfy(\.isASCII),
                          let value = UInt16(piece, radix: 16) else { return nil }
                    bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                }
            }
            return bytes
        }
        if halves.count == 1 {
            guard let bytes = groups(halves[0], allowIPv4Tail: true), bytes.count == 16 else { return nil }
            return bytes
        }
        guard let head = groups(halves[0], allowIPv4Tail: false), let tail = groups(halves[1], allowIPv4Tail: true),
              head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}
