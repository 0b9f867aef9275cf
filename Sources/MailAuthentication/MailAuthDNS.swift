import DNSClient

/// The lookups SPF, DKIM and DMARC make. `DNSResolver` answers them in the server (through the
/// `[dns]` resolvers); tests use it against a fake DNS server, or an in-memory zone.
/// Results keep NXDOMAIN, no data and temporary failure apart: SPF's void lookups (RFC 7208
/// §4.6.4) and every temperror depend on it.
public protocol MailAuthDNS: Sendable {
    func txt(_ name: String) async -> DNSResult<TXTRecord>
    func a(_ name: String) async -> DNSResult<IPv4Address>
    func aaaa(_ name: String) async -> DNSResult<IPv6Address>
    func mx(_ name: String) async -> DNSResult<MXRecord>
    /// The names of an address (given as text: "192.0.2.1", "2001:db8::1").
    func ptr(_ address: String) async -> DNSResult<DNSName>
}

extension DNSResolver: MailAuthDNS {}
