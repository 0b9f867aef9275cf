import Testing
@testable import OutboundDelivery

/// The loop rule's "is this host us" without DNS, with the machine's interfaces injected.
@Suite struct LoopDetectorTests {
    func detector(_ listeners: [LocalEndpoint], names: Set<String> = [],
                  interfaces: Set<String> = ["192.0.2.33", "2001:db8::33"]) -> LoopDetector {
        LoopDetector(identity: LocalIdentity(names: names, listeners: listeners), heloName: "mx.tsubame.example",
                     interfaceAddresses: { interfaces })
    }

    @Test func namesMatchWithoutCaseOrTrailingDot() {
        let loops = detector([], names: ["mail.tsubame.example"])
        #expect(loops.isLocal(name: "MAIL.tsubame.example.", addresses: [], port: 25))
        #expect(loops.isLocal(name: "mx.tsubame.example", addresses: [], port: 25))
        #expect(!loops.isLocal(name: "other.example", addresses: [], port: 25))
    }

    @Test func exactListenerMatchesItsAddressAndPortOnly() {
        let loops = detector([LocalEndpoint(host: "2001:DB8:0::1", port: 25)])
        #expect(loops.isLocal(address: "2001:db8::1", port: 25))
        #expect(!loops.isLocal(address: "2001:db8::1", port: 587))
        #expect(!loops.isLocal(address: "2001:db8::2", port: 25))
    }

    @Test func wildcardIPv4ListenerMatchesLoopbackAndOurInterfaces() {
        let loops = detector([LocalEndpoint(host: "0.0.0.0", port: 25)])
        for address in ["127.0.0.1", "127.1.2.3", "0.0.0.0", "192.0.2.33"] {
            #expect(loops.isLocal(address: address, port: 25), "\(address)")
        }
        for address in ["192.0.2.34", "::1", "2001:db8::33"] {
            #expect(!loops.isLocal(address: address, port: 25), "\(address)")
        }
    }

    @Test func wildcardIPv6ListenerIsDualStack() {
        let loops = detector([LocalEndpoint(host: "::", port: 25)])
        for address in ["::1", "2001:db8::33", "127.0.0.1", "192.0.2.33"] {
            #expect(loops.isLocal(address: address, port: 25), "\(address)")
        }
        #expect(!loops.isLocal(address: "2001:db8::34", port: 25))
    }

    @Test func interfacesAreReadOnlyForWildcardListeners() {
        var read = false
        _ = LoopDetector(identity: LocalIdentity(listeners: [LocalEndpoint(host: "127.0.0.1", port: 25)]),
                         heloName: "x", interfaceAddresses: { read = true; return [] })
        #expect(!read)
        #expect(LoopDetector.machineAddresses().contains("127.0.0.1"))
    }
}
