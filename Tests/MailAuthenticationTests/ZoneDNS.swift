@testable import DNSClient
import MailAuthentication

/// An in-memory zone for the SPF and DMARC tests: records from dictionaries keyed by
/// lower-case name (no trailing dot). A name with any record but not of the asked type
/// answers no data; an unknown name NXDOMAIN; a name in `failing` a temporary failure
/// (SERVFAIL), whatever the type.
struct ZoneDNS: MailAuthDNS {
    var txt: [String: [String]] = [:]
    var a: [String: [String]] = [:]
    var aaaa: [String: [String]] = [:]
    /// "10 mx.example.com"
    var mx: [String: [String]] = [:]
    /// Keyed by the address text as asked ("192.0.2.1").
    var ptr: [String: [String]] = [:]
    var failing: Set<String> = []

    private func exists(_ name: String) -> Bool {
        [txt, a, aaaa, mx, ptr].contains { $0[name] != nil }
    }

    private func answer<Record>(_ name: String, _ table: [String: [String]],
                                _ convert: (String) -> Record?) -> DNSResult<Record> {
        var key = name.lowercased()
        if key.hasSuffix(".") { key.removeLast() }
        if failing.contains(key) { return .temporaryFailure(.serverFailure) }
        guard let texts = table[key], !texts.isEmpty else {
            return exists(key) ? .noData(negativeTTL: 60, authenticated: false) : .nxdomain(negativeTTL: 60, authenticated: false)
        }
        return .records(texts.compactMap(convert), ttl: 300, authenticated: false)
    }

    func txt(_ name: String) async -> DNSResult<TXTRecord> {
        answer(name, txt) { TXTRecord(strings: [Array($0.utf8)]) }
    }

    func a(_ name: String) async -> DNSResult<IPv4Address> {
        answer(name, a) { SPFAddress($0).map { IPv4Address(validated: $0.octets) } }
    }

    func aaaa(_ name: String) async -> DNSResult<IPv6Address> {
        answer(name, aaaa) { SPFAddress($0).map { IPv6Address(validated: $0.octets) } }
    }

    func mx(_ name: String) async -> DNSResult<MXRecord> {
        answer(name, mx) { text in
            let parts = text.split(separator: " ")
            guard parts.count == 2, let preference = UInt16(parts[0]), let exchange = try? DNSName(String(parts[1])) else { return nil }
            return MXRecord(preference: preference, exchange: exchange)
        }
    }

    func ptr(_ address: String) async -> DNSResult<DNSName> {
        answer(address, ptr) { try? DNSName($0) }
    }
}
