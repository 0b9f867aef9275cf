import Foundation
import NIOCore
import NIOPosix

/// A stub resolver (RFC 1123 §6.1.3.1) that asks the configured recursive resolvers, as Postfix
/// and mox do, and caches their answers. The methods are async and never throw: every outcome,
/// failures included, is a `DNSResult`.
public struct DNSResolver: Sendable {
    /// resolv.conf is a few lines; reading at most this much bounds a strange file.
    static let maximumResolvConfSize = 64 * 1024

    public let configuration: DNSResolverConfiguration
    public let cache: DNSCache
    let transport: DNSTransport

    public init(configuration: DNSResolverConfiguration, cache: DNSCache = DNSCache(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.cache = cache
        self.transport = DNSTransport(group: group)
    }

    /// The system's resolvers, from /etc/resolv.conf (or `path`).
    public static func system(path: String = "/etc/resolv.conf", cache: DNSCache = DNSCache(),
                              group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) -> DNSResolver {
        let data = FileManager.default.contents(atPath: path)?.prefix(maximumResolvConfSize) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        return DNSResolver(configuration: .parse(resolvConf: text), cache: cache, group: group)
    }

    /// RFC 5321 §5.1. The caller sorts by preference, falls back to A/AAAA on no data, and
    /// treats a single null MX (`MXRecord.isNullMX`) as RFC 7505 says.
    public func mx(_ domain: String) async -> DNSResult<MXRecord> {
        await lookup(domain, .mx) { if case .mx(let record) = $0 { record } else { nil } }
    }

    public func a(_ name: String) async -> DNSResult<IPv4Address> {
        await lookup(name, .a) { if case .a(let address) = $0 { address } else { nil } }
    }

    public func aaaa(_ name: String) async -> DNSResult<IPv6Address> {
        await lookup(name, .aaaa) { if case .aaaa(let address) = $0 { address } else { nil } }
    }

    public func txt(_ name: String) async -> DNSResult<TXTRecord> {
        await lookup(name, .txt) { if case .txt(let record) = $0 { record } else { nil } }
    }

    /// `name` as RFC 6698 §3 builds it, e.g. "_25._tcp.mx.example.org".
    public func tlsa(_ name: String) async -> DNSResult<TLSARecord> {
        await lookup(name, .tlsa) { if case .tlsa(let record) = $0 { record } else { nil } }
    }

    /// The names of an IP address (RFC 1035 §3.5, RFC 3596 §2.5); an unparsable address is
    /// reported as NXDOMAIN, since no such name can exist.
    public func ptr(_ address: String) async -> DNSResult<DNSName> {
        guard let name = ReverseName.of(address) else { return .nxdomain(negativeTTL: 0, authenticated: false) }
        return await lookup(name, .ptr) { if case .ptr(let name) = $0 { name } else { nil } }
    }

    /// Any type, records as parsed.
    public func query(_ name: String, _ type: DNSRecordType) async -> DNSResult<DNSRecordData> {
        await lookup(name, type) { $0 }
    }

    private func lookup<Record>(_ text: String, _ type: DNSRecordType,
                                _ extract: (DNSRecordData) -> Record?) async -> DNSResult<Record> {
        // A name that cannot be written in DNS (an empty label, a label over 63 octets) cannot
        // exist: NXDOMAIN, so the queue bounces instead of retrying for days.
        guard let name = try? DNSName(text) else { return .nxdomain(negativeTTL: 0, authenticated: false) }
        return await lookup(name, type, extract)
    }

    private func lookup<Record>(_ name: DNSName, _ type: DNSRecordType,
                                _ extract: (DNSRecordData) -> Record?) async -> DNSResult<Record> {
        if let cached = cache.lookup(name, type) { return cached.compactMap(extract) }
        let result = await resolve(name, type)
        cache.store(result, for: name, type)
        return result.compactMap(extract)
    }

    /// Every server in turn, for `attempts` rounds, until one gives an answer that is not a
    /// temporary failure (glibc's res_send moves on after a timeout, SERVFAIL or REFUSED too).
    /// At most 3 servers × 5 attempts × 2 exchanges (UDP then TCP), each bounded by the timeout.
    func resolve(_ name: DNSName, _ type: DNSRecordType) async -> DNSResult<DNSRecordData> {
        guard !configuration.nameservers.isEmpty else { return .temporaryFailure(.noNameservers) }
        let trusted = configuration.trustsAuthenticData
        var last = DNSFailure.timeout
        for _ in 0..<configuration.attempts {
            for server in configuration.nameservers {
                // DO=1 so a validating resolver sets AD (RFC 6840 §5.7), only if we will use it.
                let query = DNSQuery.random(name: name, type: type, dnssecOK: trusted)
                let result: DNSResult<DNSRecordData>
                do throws(DNSFailure) {
                    let message = try await transport.exchange(query, with: server, timeout: configuration.timeout)
                    result = DNSAnswerInterpreter.interpret(message, for: query)
                } catch {
                    last = error
                    continue
                }
                if case .temporaryFailure(let failure) = result {
                    last = failure
                    continue
                }
                // RFC 6840 §5.7: AD from a resolver we cannot trust means nothing.
                return trusted ? result : result.withAuthenticated(false)
            }
        }
        return .temporaryFailure(last)
    }
}

/// The in-addr.arpa / ip6.arpa name of an address (RFC 1035 §3.5, RFC 3596 §2.5).
enum ReverseName {
    static func of(_ address: String) -> DNSName? {
        guard let socketAddress = try? SocketAddress(ipAddress: address, port: 0) else { return nil }
        let labels: [String]
        switch socketAddress {
        case .v4(let v4):
            let value = UInt32(bigEndian: v4.address.sin_addr.s_addr)
            labels = (0..<4).map { String(value >> (8 * $0) & 0xFF) } + ["in-addr", "arpa"]
        case .v6(let v6):
            let octets = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            labels = octets.reversed().flatMap { [String($0 & 0xF, radix: 16), String($0 >> 4, radix: 16)] } + ["ip6", "arpa"]
        default:
            return nil
        }
        return try? DNSName(labels.joined(separator: "."))
    }
}
