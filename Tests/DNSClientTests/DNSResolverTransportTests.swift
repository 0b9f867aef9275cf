import PythonPeers
import NIOCore
import Testing
@testable import DNSClient

/// The resolver over real sockets against a fake recursive resolver (fake_dns_server.py).
/// One at a time: each test starts a Python server, and a loaded 2-core machine running them
/// all at once answered late enough to look like a timeout.
@Suite("Resolver against a dnslib server on 127.0.0.1", .serialized)
struct DNSResolverTransportTests {
    func withServer(timeout: TimeAmount = .seconds(2), attempts: Int = 3, extraServers: [String] = [],
                    _ body: (DNSResolver) async throws -> Void) async throws {
        let server = try FakeDNSServer()
        defer { server.stop() }
        let configuration = try DNSResolverConfiguration(
            nameservers: extraServers + ["127.0.0.1:\(server.port)"], timeout: timeout, attempts: attempts)
        try await body(DNSResolver(configuration: configuration))
    }

    @Test func mxAnswer() async throws {
        try await withServer { resolver in
            let result = await resolver.mx("mx.test")
            guard case .records(let records, let ttl, false) = result else { Issue.record("\(result)"); return }
            #expect(records.map(\.preference) == [10, 20])
            #expect(records.map(\.exchange.description) == ["mail1.mx.test", "mail2.mx.test"])
            #expect(ttl == 200)
        }
    }

    @Test func noMXIsNoDataWithTheSOANegativeTTL() async throws {
        try await withServer { resolver in
            #expect(await resolver.mx("nomx.test") == .noData(negativeTTL: 120, authenticated: false))
            guard case .records(let v4, _, _) = await resolver.a("nomx.test"),
                  case .records(let v6, _, _) = await resolver.aaaa("nomx.test") else { Issue.record("no address"); return }
            #expect(v4.map(\.description) == ["192.0.2.2"])
            #expect(v6.map(\.description) == ["2001:db8::2"])
        }
    }

    @Test func nullMX() async throws {
        try await withServer { resolver in
            guard case .records(let records, _, _) = await resolver.mx("nullmx.test") else { Issue.record("no MX"); return }
            #expect(records.count == 1 && records[0].isNullMX && records[0].preference == 0)
        }
    }

    @Test func nxdomain() async throws {
        try await withServer { resolver in
            #expect(await resolver.mx("missing.test") == .nxdomain(negativeTTL: 120, authenticated: false))
        }
    }

    @Test func servfailAndRefusedAreTemporary() async throws {
        try await withServer { resolver in
            #expect(await resolver.mx("servfail.test") == .temporaryFailure(.serverFailure))
            #expect(await resolver.mx("refused.test") == .temporaryFailure(.refused))
        }
    }

    @Test func truncatedAnswerIsFetchedOverTCP() async throws {
        try await withServer { resolver in
            guard case .records(let records, _, _) = await resolver.txt("big.test") else { Issue.record("no TXT"); return }
            #expect(records.count == 40)
            #expect(records[0].strings == [Array(("record 00 " + String(repeating: "x", count: 40)).utf8)])
        }
    }

    @Test func cutTCPAnswerIsATemporaryFailure() async throws {
        try await withServer { resolver in
            guard case .temporaryFailure(.malformed) = await resolver.txt("badtcp.test") else {
                Issue.record("a cut TCP answer was accepted"); return
            }
        }
    }

    @Test func followsCNAME() async throws {
        try await withServer { resolver in
            guard case .records(let records, let ttl, _) = await resolver.mx("alias.test") else { Issue.record("no MX"); return }
            let exchange = try DNSName("mail1.mx.test")
            #expect(records == [MXRecord(preference: 5, exchange: exchange)])
            #expect(ttl == 100)
        }
    }

    @Test func adFromALoopbackServerIsAuthenticated() async throws {
        try await withServer { resolver in
            #expect(resolver.configuration.trustsAuthenticData)
            #expect(await resolver.a("signed.test").authenticated)
            #expect(await !resolver.a("mail1.mx.test").authenticated)
        }
    }

    @Test func ignoresRepliesWithAnotherIDOrQuestion() async throws {
        try await withServer { resolver in
            let result = await resolver.a("spoof.test")
            #expect(result == .records([IPv4Address(validated: [192, 0, 2, 4])], ttl: 300, authenticated: false))
        }
    }

    @Test func silentServerTimesOut() async throws {
        try await withServer(timeout: .milliseconds(200), attempts: 2) { resolver in
            let start = ContinuousClock.now
            #expect(await resolver.a("silent.test") == .temporaryFailure(.timeout))
            #expect(ContinuousClock.now - start >= .milliseconds(400))
        }
    }

    @Test func movesOnToTheNextServer() async throws {
        // 127.0.0.1:9 (discard) has nobody answering DNS: the fake server behind it answers.
        try await withServer(timeout: .milliseconds(500), attempts: 1, extraServers: ["127.0.0.1:9"]) { resolver in
            guard case .records(let records, _, _) = await resolver.mx("mx.test") else { Issue.record("no MX"); return }
            #expect(records.count == 2)
        }
    }

    @Test func cachesAnswers() async throws {
        let server = try FakeDNSServer()
        let configuration = try DNSResolverConfiguration(nameservers: ["127.0.0.1:\(server.port)"], timeout: .milliseconds(300), attempts: 1)
        let resolver = DNSResolver(configuration: configuration)
        guard case .records = await resolver.mx("mx.test") else { Issue.record("no MX"); server.stop(); return }
        server.stop()
        // The server is gone: only the cache can answer now.
        guard case .records(let records, _, _) = await resolver.mx("MX.test") else { Issue.record("not cached"); return }
        #expect(records.count == 2)
        guard case .temporaryFailure = await resolver.mx("nomx.test") else {
            Issue.record("an uncached name was answered with the server gone"); return
        }
    }
}
