import PythonPeers
import DNSClient
import SMTPProtocol
import Testing
@testable import OutboundDelivery

/// RouteSelector over real sockets against fake_dns_server.py with `RouteZone` loaded. One
/// server for the whole suite; each test gets a resolver with an empty cache.
@Suite("Route selection against a dnslib server on 127.0.0.1")
struct RouteSelectorTests {
    static let server = Result { try FakeDNSServer(zone: RouteZone.text) }

    func route(_ domain: String, _ configure: (inout OutboundSettings) -> Void = { _ in },
               shuffle: @escaping @Sendable ([DeliveryHost]) -> [DeliveryHost] = { $0 }) async throws
        -> Result<[DeliveryHost], SMTPClientFailure> {
        var settings = OutboundSettings(heloName: "tsubame.route.test")
        settings.smtpPort = 2525
        configure(&settings)
        let selector = RouteSelector(resolver: try Self.server.get().resolver(), settings: settings, shuffle: shuffle)
        return await selector.route(for: domain)
    }

    func hosts(_ result: Result<[DeliveryHost], SMTPClientFailure>,
               sourceLocation: SourceLocation = #_sourceLocation) -> [DeliveryHost] {
        switch result {
        case .success(let hosts): return hosts
        case .failure(let failure):
            Issue.record("expected hosts, got \(failure.status) \(failure.enhancedCode) \(failure)", sourceLocation: sourceLocation)
            return []
        }
    }

    func failure(_ result: Result<[DeliveryHost], SMTPClientFailure>,
                 sourceLocation: SourceLocation = #_sourceLocation) -> SMTPClientFailure? {
        switch result {
        case .success(let hosts):
            Issue.record("expected a failure, got \(hosts)", sourceLocation: sourceLocation)
            return nil
        case .failure(let failure): return failure
        }
    }

    // MARK: MX

    @Test func mxHostsComeInPreferenceOrderWithTheirAddresses() async throws {
        let hosts = hosts(try await route("ordered.route.test"))
        #expect(hosts == [
            DeliveryHost(name: "mx-a.route.test", addresses: ["192.0.2.10"], port: 2525, preference: 10),
            DeliveryHost(name: "mx-b.route.test", addresses: ["192.0.2.20"], port: 2525, preference: 20),
            DeliveryHost(name: "mx-c.route.test", addresses: ["192.0.2.30"], port: 2525, preference: 30),
        ])
    }

    @Test func domainIsLowercasedAndItsTrailingDotDropped() async throws {
        let hosts = hosts(try await route("ORDERED.Route.Test."))
        #expect(hosts.map(\.name) == ["mx-a.route.test", "mx-b.route.test", "mx-c.route.test"])
    }

    @Test func equalPreferencesAreShuffledWithinTheirGroupOnly() async throws {
        let identity = hosts(try await route("equal.route.test"))
        #expect(identity.map(\.name) == ["e1", "e2", "e3", "e4", "e5"].map { "\($0).route.test" })
        let reversed = hosts(try await route("equal.route.test", shuffle: { $0.reversed() }))
        #expect(reversed.map(\.name) == ["e3", "e2", "e1", "e5", "e4"].map { "\($0).route.test" })
        #expect(reversed.map(\.preference) == [10, 10, 10, 20, 20])
    }

    @Test func noMXMeansTheDomainItselfAsImplicitMX() async throws {
        let hosts = hosts(try await route("implicit.route.test"))
        #expect(hosts == [DeliveryHost(name: "implicit.route.test", addresses: ["192.0.2.40", "2001:db8::40"],
                                       port: 2525, preference: nil)])
    }

    @Test func noMXAndNoAddressBounces() async throws {
        let failure = failure(try await route("textonly.route.test"))
        #expect(failure?.status == .failed)
        #expect(failure?.enhancedCode == "5.1.2")
    }

    @Test func nullMXBounces() async throws {
        for domain in ["nullmx.route.test", "mixednull.route.test"] {
            let failure = failure(try await route(domain))
            #expect(failure?.status == .failed)
            #expect(failure?.enhancedCode == "5.1.10")
            #expect(failure?.reason == "domain does not accept mail (null MX, RFC 7505)")
        }
    }

    @Test func nonexistentDomainBounces() async throws {
        let failure = failure(try await route("missing.route.test"))
        #expect(failure?.status == .failed)
        #expect(failure?.enhancedCode == "5.1.2")
        #expect(failure?.reason.contains("does not exist") == true)
    }

    @Test func emptyDomainBounces() async throws {
        for domain in ["", "."] {
            #expect(failure(try await route(domain))?.enhancedCode == "5.1.2")
        }
    }

    @Test func servfailOnMXIsDeferred() async throws {
        let failure = failure(try await route("servfail.route.test"))
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.3")
        #expect(failure?.reason.contains("SERVFAIL") == true)
    }

    @Test func mxHostBehindACNAMEKeepsItsMXName() async throws {
        let hosts = hosts(try await route("cname.route.test"))
        #expect(hosts == [DeliveryHost(name: "alias-mx.route.test", addresses: ["192.0.2.50"], port: 2525, preference: 10)])
    }

    @Test func ipFamilyChoosesTheAddressesAndAnyPutsIPv4First() async throws {
        let any = hosts(try await route("dual.route.test"))
        #expect(any.map(\.addresses) == [["192.0.2.60", "2001:db8::60"]])
        let v4 = hosts(try await route("dual.route.test") { $0.ipFamily = .ipv4 })
        #expect(v4.map(\.addresses) == [["192.0.2.60"]])
        let v6 = hosts(try await route("dual.route.test") { $0.ipFamily = .ipv6 })
        #expect(v6.map(\.addresses) == [["2001:db8::60"]])
    }

    @Test func mxHostsWithoutAnAddressOfTheFamilyAreDeferred() async throws {
        let failure = failure(try await route("v6only.route.test") { $0.ipFamily = .ipv4 })
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.4")
        #expect(failure?.reason.contains("ip_family = ipv4") == true)
    }

    @Test func aHostThatFailsTemporarilyIsSkipped() async throws {
        let hosts = hosts(try await route("partial.route.test"))
        #expect(hosts.map(\.name) == ["mx-b.route.test"])
    }

    @Test func whenEveryHostIsSkippedAndOneFailedTemporarilyItIsDeferred() async throws {
        let failure = failure(try await route("allfail.route.test"))
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.3")
    }

    @Test func whenNoHostHasAnAddressItIsDeferred() async throws {
        let failure = failure(try await route("noaddress.route.test"))
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.4")
        #expect(failure?.reason.contains("no usable address") == true)
    }

    @Test func oneFamilyFailingTemporarilyLeavesTheOther() async throws {
        let hosts = hosts(try await route("halfbroken.route.test"))
        #expect(hosts.map(\.addresses) == [["192.0.2.80"]])
        let failure = failure(try await route("halfbroken.route.test") { $0.ipFamily = .ipv6 })
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.3")
    }

    @Test func atMostMaximumHostsAreReturned() async throws {
        let five = hosts(try await route("many.route.test"))
        #expect(five.map(\.name) == (1...5).map { "m\($0).route.test" })
        let two = hosts(try await route("many.route.test") { $0.maximumHosts = 2 })
        #expect(two.map(\.name) == ["m1.route.test", "m2.route.test"])
        let all = hosts(try await route("many.route.test") { $0.maximumHosts = 10 })
        #expect(all.count == 7)
    }

    @Test func addressLiteralDomainIsDialledAsItIs() async throws {
        let hosts = hosts(try await route("[192.0.2.7]"))
        #expect(hosts == [DeliveryHost(name: "192.0.2.7", addresses: ["192.0.2.7"], port: 2525)])
        let v6 = self.hosts(try await route("[IPv6:2001:DB8::7]"))
        #expect(v6.map(\.addresses) == [["2001:db8::7"]])
        #expect(failure(try await route("[not-an-address]"))?.enhancedCode == "5.1.2")
    }

    // MARK: Loops (RFC 5321 §5.1)

    @Test func ourOwnNameAsBestMXIsALoop() async throws {
        let failure = failure(try await route("loopbest.route.test") { $0.localIdentity.names = ["self-mx.route.test"] })
        #expect(failure?.status == .failed)
        #expect(failure?.enhancedCode == "5.4.6")
        #expect(failure?.reason == "mail for loopbest.route.test loops back to myself")
    }

    @Test func theEHLONameCountsAsOurs() async throws {
        let failure = failure(try await route("loopbest.route.test") { $0.heloName = "Self-MX.route.test." })
        #expect(failure?.enhancedCode == "5.4.6")
    }

    @Test func asBackupMXWeKeepOnlyBetterHosts() async throws {
        // self-mx and mx-b share preference 20: both go, and mx-c (30) after them.
        let hosts = hosts(try await route("loopbackup.route.test") { $0.localIdentity.names = ["self-mx.route.test"] })
        #expect(hosts.map(\.name) == ["mx-a.route.test"])
    }

    @Test func asBackupMXOfAPrimaryWithoutAddressWeDefer() async throws {
        let failure = failure(try await route("brokenprimary.route.test") { $0.localIdentity.names = ["self-mx.route.test"] })
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.4")
    }

    @Test func ourAddressAndPortIsALoop() async throws {
        for listener in ["127.0.0.1", "0.0.0.0", "::", "::1"] {
            let failure = failure(try await route("loopaddr.route.test") {
                $0.localIdentity.listeners = [LocalEndpoint(host: listener, port: 2525)]
            })
            #expect(failure?.enhancedCode == "5.4.6", "listener \(listener)")
        }
    }

    @Test func ourAddressOnAnotherPortIsNotALoop() async throws {
        // Two servers on 127.0.0.1, as in the end-to-end tests: A on 2526 sends to B on 2525.
        let hosts = hosts(try await route("loopaddr.route.test") {
            $0.localIdentity.listeners = [LocalEndpoint(host: "127.0.0.1", port: 2526), LocalEndpoint(host: "0.0.0.0", port: 25)]
        })
        #expect(hosts == [DeliveryHost(name: "local-mx.route.test", addresses: ["127.0.0.1", "::1"], port: 2525, preference: 10)])
    }

    @Test func implicitMXToOurselvesIsALoop() async throws {
        let failure = failure(try await route("selfimplicit.route.test") {
            $0.localIdentity.listeners = [LocalEndpoint(host: "0.0.0.0", port: 2525)]
        })
        #expect(failure?.enhancedCode == "5.4.6")
    }

    // MARK: Routes and smarthost

    @Test func routeToAnAddressLiteralSkipsDNS() async throws {
        let hosts = hosts(try await route("missing.route.test") {
            $0.routes["missing.route.test"] = NextHop(parsing: "[192.0.2.99]:2600")
        })
        #expect(hosts == [DeliveryHost(name: "192.0.2.99", addresses: ["192.0.2.99"], port: 2600)])
    }

    @Test func routeToAHostUsesItsAddressesNotItsMX() async throws {
        let hosts = hosts(try await route("ordered.route.test") { $0.routes["ordered.route.test"] = NextHop(parsing: "relay.route.test") })
        #expect(hosts == [DeliveryHost(name: "relay.route.test", addresses: ["192.0.2.90", "2001:db8::90"], port: 2525)])
        // A name with MX but no address is no next hop: A/AAAA only.
        let failure = failure(try await route("ordered.route.test") {
            $0.routes["ordered.route.test"] = NextHop(parsing: "relay-mx-only.route.test")
        })
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.3")
    }

    @Test func routeWinsOverSmarthostAndSmarthostOverMX() async throws {
        let configure: (inout OutboundSettings) -> Void = {
            $0.smarthost = Smarthost(hop: NextHop(parsing: "relay.route.test:587")!)
            $0.routes["ordered.route.test"] = NextHop(parsing: "[192.0.2.99]")
        }
        let routed = hosts(try await route("ordered.route.test", configure))
        #expect(routed.map(\.name) == ["192.0.2.99"])
        let relayed = hosts(try await route("many.route.test", configure))
        #expect(relayed == [DeliveryHost(name: "relay.route.test", addresses: ["192.0.2.90", "2001:db8::90"], port: 587)])
        // Even a domain that does not exist goes to the smarthost, which decides.
        #expect(hosts(try await route("missing.route.test", configure)).map(\.port) == [587])
    }

    @Test func unresolvableSmarthostDefersNeverBounces() async throws {
        for relay in ["nowhere.route.test:587", "servfail.relay.route.test", "textonly.route.test"] {
            let failure = failure(try await route("ordered.route.test") {
                $0.smarthost = Smarthost(hop: NextHop(parsing: relay)!)
            })
            #expect(failure?.status == .deferred, "\(relay)")
            #expect(failure?.enhancedCode == "4.4.3", "\(relay)")
        }
    }

    @Test func routeOfTheWrongFamilyIsDeferred() async throws {
        let failure = failure(try await route("ordered.route.test") {
            $0.ipFamily = .ipv4
            $0.routes["ordered.route.test"] = NextHop(parsing: "[2001:db8::99]:25")
        })
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.4.4")
        let v4 = hosts(try await route("ordered.route.test") {
            $0.ipFamily = .ipv4
            $0.routes["ordered.route.test"] = NextHop(parsing: "relay.route.test")
        })
        #expect(v4.map(\.addresses) == [["192.0.2.90"]])
    }

    @Test func routeOrSmarthostToOurselvesIsALoop() async throws {
        let literal = failure(try await route("ordered.route.test") {
            $0.routes["ordered.route.test"] = NextHop(parsing: "[127.0.0.1]")
            $0.localIdentity.listeners = [LocalEndpoint(host: "127.0.0.1", port: 2525)]
        })
        #expect(literal?.enhancedCode == "5.4.6")
        let named = failure(try await route("ordered.route.test") {
            $0.smarthost = Smarthost(hop: NextHop(parsing: "self-mx.route.test:587")!)
            $0.localIdentity.names = ["self-mx.route.test"]
        })
        #expect(named?.enhancedCode == "5.4.6")
        // The same address on another port is another server.
        let other = hosts(try await route("ordered.route.test") {
            $0.smarthost = Smarthost(hop: NextHop(parsing: "[127.0.0.1]:587")!)
            $0.localIdentity.listeners = [LocalEndpoint(host: "127.0.0.1", port: 2525)]
        })
        #expect(other.map(\.port) == [587])
    }
}
