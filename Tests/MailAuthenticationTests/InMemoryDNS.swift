import DNSClient
import MailAuthentication

/// An in-memory zone for the MailAuthentication tests: TXT records by name (each record a
/// list of strings, as on the wire), names answering a temporary failure, and NXDOMAIN for
/// every other name and type.
struct InMemoryDNS: MailAuthDNS {
    var txtRecords: [String: [[String]]] = [:]
    var failing: Set<String> = []

    init(txt: [String: [String]] = [:]) {
        for (name, records) in txt { txtRecords[Self.key(name)] = records.map { [$0] } }
    }

    /// A record split into 255-octet strings, as a zone file would hold a long key.
    mutating func addTXT(_ name: String, _ text: String) {
        let bytes = Array(text.utf8)
        let strings = stride(from: 0, to: max(bytes.count, 1), by: 255).map {
            String(decoding: bytes[$0..<min($0 + 255, bytes.count)], as: UTF8.self)
        }
        txtRecords[Self.key(name), default: []].append(strings)
    }

    private static func key(_ name: String) -> String {
        var key = name.lowercased()
        if key.hasSuffix(".") { key.removeLast() }
        return key
    }

    func txt(_ name: String) async -> DNSResult<TXTRecord> {
        let key = Self.key(name)
        if failing.contains(key) { return .temporaryFailure(.timeout) }
        guard let records = txtRecords[key], !records.isEmpty else { return .nxdomain(negativeTTL: 300, authenticated: false) }
        return .records(records.map { TXTRecord(strings: $0.map { Array($0.utf8) }) }, ttl: 300, authenticated: false)
    }

    func a(_ name: String) async -> DNSResult<IPv4Address> { .nxdomain(negativeTTL: 300, authenticated: false) }
    func aaaa(_ name: String) async -> DNSResult<IPv6Address> { .nxdomain(negativeTTL: 300, authenticated: false) }
    func mx(_ name: String) async -> DNSResult<MXRecord> { .nxdomain(negativeTTL: 300, authenticated: false) }
    func ptr(_ address: String) async -> DNSResult<DNSName> { .nxdomain(negativeTTL: 300, authenticated: false) }
}
