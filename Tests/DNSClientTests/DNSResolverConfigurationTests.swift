import NIOCore
import Testing
@testable import DNSClient

@Suite("Resolver configuration (resolv.conf(5), [dns] nameservers)")
struct DNSResolverConfigurationTests {
    @Test func readsNameserversAndOptions() {
        let configuration = DNSResolverConfiguration.parse(resolvConf: """
            # comment
            search example.org
            nameserver 192.0.2.53
            nameserver 2001:db8::53
            nameserver not-an-address
            options ndots:2 timeout:3 attempts:4 trust-ad
            """)
        #expect(configuration.nameservers.map(\.description) == ["192.0.2.53:53", "[2001:db8::53]:53"])
        #expect(configuration.timeout == .seconds(3))
        #expect(configuration.attempts == 4)
        #expect(configuration.trustAD)
        #expect(configuration.trustsAuthenticData)
    }

    @Test func boundsTimeoutAttemptsAndServers() {
        let configuration = DNSResolverConfiguration.parse(resolvConf: """
            nameserver 192.0.2.1
            nameserver 192.0.2.2
            nameserver 192.0.2.3
            nameserver 192.0.2.4
            options timeout:999999 attempts:99
            """)
        #expect(configuration.nameservers.count == 3)  // glibc's MAXNS
        #expect(configuration.timeout == .seconds(30))
        #expect(configuration.attempts == 5)
        #expect(DNSResolverConfiguration.parse(resolvConf: "options attempts:0 timeout:0").attempts == 1)
    }

    @Test func withoutNameserversAsksTheLocalHostAsGlibcDoes() {
        let configuration = DNSResolverConfiguration.parse(resolvConf: "search example.org\n")
        #expect(configuration.nameservers.map(\.description) == ["127.0.0.1:53"])
    }

    @Test func parsesHostPortStrings() throws {
        let configuration = try DNSResolverConfiguration(nameservers: ["127.0.0.1:5353", "[::1]:53", "192.0.2.1"])
        #expect(configuration.nameservers.map(\.description) == ["127.0.0.1:5353", "[::1]:53", "192.0.2.1:53"])
        #expect(throws: DNSConfigurationError.self) { try DNSNameserver(parsing: "dns.example:53") }
        #expect(throws: DNSConfigurationError.self) { try DNSNameserver(parsing: "127.0.0.1:0") }
        #expect(throws: DNSConfigurationError.self) { try DNSNameserver(parsing: "127.0.0.1:99999") }
        #expect(throws: DNSConfigurationError.tooManyNameservers) {
            try DNSResolverConfiguration(nameservers: ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"])
        }
    }

    @Test func trustsADOnlyFromLoopbackOrWithTrustAD() throws {
        // RFC 6840 §5.7 as mox applies it.
        #expect(try DNSResolverConfiguration(nameservers: ["127.0.0.53:53", "[::1]:53"]).trustsAuthenticData)
        #expect(try !DNSResolverConfiguration(nameservers: ["127.0.0.1:53", "192.0.2.1:53"]).trustsAuthenticData)
        #expect(!DNSResolverConfiguration.parse(resolvConf: "nameserver 10.0.0.1\n").trustsAuthenticData)
        #expect(DNSResolverConfiguration.parse(resolvConf: "nameserver 10.0.0.1\noptions trust-ad\n").trustsAuthenticData)
    }

    @Test func reverseNames() {
        #expect(ReverseName.of("192.0.2.1")?.description == "1.2.0.192.in-addr.arpa")
        #expect(ReverseName.of("2001:db8::1")?.description
                == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        #expect(ReverseName.of("not an address") == nil)
    }
}

@Suite("Answer cache (RFC 1035 §3.2.1, RFC 2308 §5)")
struct DNSCacheTests {
    final class FakeClock: @unchecked Sendable {
        var seconds: Int64 = 1000
        var now: NIODeadline { .uptimeNanoseconds(UInt64(seconds) * 1_000_000_000) }
    }

    let name = try! DNSName("example.org")
    let record = DNSRecordData.a(IPv4Address(validated: [192, 0, 2, 1]))

    @Test func keepsAnswersForTheirTTLAndAgesThem() {
        let clock = FakeClock()
        let cache = DNSCache(now: { clock.now })
        cache.store(.records([record], ttl: 300, authenticated: false), for: name, .a)
        clock.seconds += 100
        // Case-insensitive key (RFC 4343).
        #expect(cache.lookup(try! DNSName("EXAMPLE.org"), .a) == .records([record], ttl: 200, authenticated: false))
        #expect(cache.lookup(name, .aaaa) == nil)
        clock.seconds += 200
        #expect(cache.lookup(name, .a) == nil)
    }

    @Test func capsTheTTL() {
        let clock = FakeClock()
        let cache = DNSCache(maximumTTL: 3600, now: { clock.now })
        cache.store(.nxdomain(negativeTTL: 86400, authenticated: false), for: name, .mx)
        #expect(cache.lookup(name, .mx) == .nxdomain(negativeTTL: 3600, authenticated: false))
        clock.seconds += 3600
        #expect(cache.lookup(name, .mx) == nil)
    }

    @Test func neverKeepsFailuresOrTTLZero() {
        let cache = DNSCache()
        cache.store(.temporaryFailure(.timeout), for: name, .a)
        cache.store(.noData(negativeTTL: 0, authenticated: false), for: name, .mx)
        #expect(cache.count == 0)
    }

    @Test func capsTheNumberOfEntriesDroppingTheSoonestToExpire() throws {
        let clock = FakeClock()
        let cache = DNSCache(maximumEntries: 3, now: { clock.now })
        for (index, ttl) in [UInt32(500), 100, 900].enumerated() {
            cache.store(.records([record], ttl: ttl, authenticated: false), for: try DNSName("n\(index).example"), .a)
        }
        cache.store(.records([record], ttl: 700, authenticated: false), for: try DNSName("n3.example"), .a)
        #expect(cache.count == 3)
        #expect(cache.lookup(try DNSName("n1.example"), .a) == nil)
        #expect(cache.lookup(try DNSName("n3.example"), .a) != nil)
    }
}
