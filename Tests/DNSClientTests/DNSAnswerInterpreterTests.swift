import Testing
@testable import DNSClient

@Suite("Answers to results (RFC 1034 §4.3.2, RFC 2308)")
struct DNSAnswerInterpreterTests {
    func interpret(_ packet: PacketBuilder, _ name: String = "example.org", _ type: DNSRecordType = .mx) throws -> DNSResult<DNSRecordData> {
        DNSAnswerInterpreter.interpret(try packet.message, for: .test(name, type))
    }

    static let mx = MXRecord(preference: 10, exchange: try! DNSName("mx.example.org"))

    @Test func recordsWithTheSmallestTTL() throws {
        var packet = PacketBuilder(answers: 2)
        packet.question("example.org", .mx)
        packet.record("example.org", .mx, ttl: 300, rdata: [0, 10] + PacketBuilder.wireName("mx.example.org"))
        packet.record("example.org", .mx, ttl: 200, rdata: [0, 20] + PacketBuilder.wireName("mx2.example.org"))
        guard case .records(let records, let ttl, false) = try interpret(packet) else { Issue.record("no records"); return }
        #expect(records.count == 2 && records[0] == .mx(Self.mx))
        #expect(ttl == 200)
    }

    @Test func nxdomainTakesTheNegativeTTLFromTheSOA() throws {
        // RFC 2308 §5: min(SOA TTL 600, MINIMUM 120).
        var packet = PacketBuilder(rcode: 3, authority: 1)
        packet.question("example.org", .mx)
        packet.record("org", .soa, ttl: 600, rdata: PacketBuilder.soaData(minimum: 120))
        #expect(try interpret(packet) == .nxdomain(negativeTTL: 120, authenticated: false))
    }

    @Test func noDataTakesTheSOATTLWhenSmaller() throws {
        var packet = PacketBuilder(authority: 1)
        packet.question("example.org", .mx)
        packet.record("example.org", .soa, ttl: 30, rdata: PacketBuilder.soaData(minimum: 120))
        #expect(try interpret(packet) == .noData(negativeTTL: 30, authenticated: false))
    }

    @Test func negativeAnswerWithoutSOAIsNotCacheable() throws {
        var packet = PacketBuilder(rcode: 3)
        packet.question("example.org", .mx)
        #expect(try interpret(packet) == .nxdomain(negativeTTL: 0, authenticated: false))
    }

    @Test func recordsOfAnotherTypeOrOwnerAreNoData() throws {
        var packet = PacketBuilder(answers: 2)
        packet.question("example.org", .mx)
        packet.record("example.org", .a, rdata: [192, 0, 2, 1])
        packet.record("other.example", .mx, rdata: [0, 10] + PacketBuilder.wireName("mx.example.org"))
        #expect(try interpret(packet) == .noData(negativeTTL: 0, authenticated: false))
    }

    @Test func errorRcodesAreTemporaryFailures() throws {
        for (rcode, failure) in [(UInt8(2), DNSFailure.serverFailure), (5, .refused), (4, .responseCode(4))] {
            var packet = PacketBuilder(rcode: rcode)
            packet.question("example.org", .mx)
            #expect(try interpret(packet) == .temporaryFailure(failure))
        }
        var badVersion = PacketBuilder(additional: 1)
        badVersion.question("example.org", .mx)
        badVersion.opt(extendedRcode: 1)
        #expect(try interpret(badVersion) == .temporaryFailure(.responseCode(16)))
    }

    @Test func followsACNAMEChainKeepingTheSmallestTTL() throws {
        var packet = PacketBuilder(answers: 3)
        packet.question("www.example.org", .mx)
        packet.record("www.example.org", .cname, ttl: 50, rdata: PacketBuilder.wireName("web.example.org"))
        packet.record("web.example.org", .cname, ttl: 400, rdata: PacketBuilder.wireName("example.org"))
        packet.record("example.org", .mx, ttl: 300, rdata: [0, 10] + PacketBuilder.wireName("mx.example.org"))
        #expect(try interpret(packet, "www.example.org") == .records([.mx(Self.mx)], ttl: 50, authenticated: false))
    }

    @Test func nxdomainAtTheEndOfACNAMEChain() throws {
        // RFC 6604 §3: the RCODE speaks of the last name of the chain.
        var packet = PacketBuilder(rcode: 3, answers: 1)
        packet.question("www.example.org", .mx)
        packet.record("www.example.org", .cname, rdata: PacketBuilder.wireName("gone.example.org"))
        #expect(try interpret(packet, "www.example.org") == .nxdomain(negativeTTL: 0, authenticated: false))
    }

    @Test func refusesCNAMELoopsAndLongChains() throws {
        var loop = PacketBuilder(answers: 2)
        loop.question("a.example", .mx)
        loop.record("a.example", .cname, rdata: PacketBuilder.wireName("b.example"))
        loop.record("b.example", .cname, rdata: PacketBuilder.wireName("a.example"))
        #expect(try interpret(loop, "a.example") == .temporaryFailure(.cnameChainTooLong))

        let hops = DNSAnswerInterpreter.maximumCNAMEChain + 1
        var long = PacketBuilder(answers: hops + 1)
        long.question("n0.example", .a)
        for hop in 0..<hops {
            long.record("n\(hop).example", .cname, rdata: PacketBuilder.wireName("n\(hop + 1).example"))
        }
        long.record("n\(hops).example", .a, rdata: [192, 0, 2, 1])
        #expect(try interpret(long, "n0.example", .a) == .temporaryFailure(.cnameChainTooLong))
    }

    @Test func aChainOfEightIsFollowed() throws {
        let hops = DNSAnswerInterpreter.maximumCNAMEChain
        var packet = PacketBuilder(answers: hops + 1)
        packet.question("n0.example", .a)
        for hop in 0..<hops {
            packet.record("n\(hop).example", .cname, rdata: PacketBuilder.wireName("n\(hop + 1).example"))
        }
        packet.record("n\(hops).example", .a, rdata: [192, 0, 2, 1])
        #expect(try interpret(packet, "n0.example", .a) == .records([.a(IPv4Address(validated: [192, 0, 2, 1]))], ttl: 300, authenticated: false))
    }

    @Test func passesTheADBitOn() throws {
        var packet = PacketBuilder(flags: 0x0020, answers: 1)
        packet.question("example.org", .a)
        packet.record("example.org", .a, rdata: [192, 0, 2, 1])
        #expect(try interpret(packet, "example.org", .a).authenticated)
    }

    @Test func nullMXIsRecognised() throws {
        var packet = PacketBuilder(answers: 1)
        packet.question("example.org", .mx)
        packet.record("example.org", .mx, rdata: [0, 0, 0])
        guard case .records(let records, _, _) = try interpret(packet), case .mx(let mx) = records.first else {
            Issue.record("no MX"); return
        }
        #expect(mx.isNullMX && mx.exchange.description == ".")
    }
}
