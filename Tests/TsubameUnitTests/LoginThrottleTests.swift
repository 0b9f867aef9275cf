import Testing
import TsubameConfig
@testable import TsubameServer

@Suite("Login throttle")
struct LoginThrottleTests {
    func throttle(maximumRecords: Int = 100_000) -> LoginThrottle {
        var settings = AuthSettings()
        settings.failureDelayMilliseconds = 100
        settings.maxFailureDelayMilliseconds = 1000
        settings.accountFailureDelayMilliseconds = 10
        settings.lockoutFailures = 6
        settings.lockoutFailuresPerAccount = 3
        settings.lockoutSeconds = 60
        return LoginThrottle(settings: settings, maximumRecords: maximumRecords)
    }

    let second: UInt64 = 1_000_000_000
    let attacker = ClientNetwork(address: "192.0.2.1")
    let owner = ClientNetwork(address: "198.51.100.7")

    func network(_ index: Int) -> ClientNetwork { ClientNetwork(address: "10.\(index / 65536).\(index / 256 % 256).\(index % 256)") }

    @Test func delayDoublesPerFailureFromOneNetworkUpToTheMaximum() {
        var throttle = throttle()
        let accounts = ["a@x", "b@x", "c@x", "d@x", "e@x", "f@x"]
        let delays = accounts.map { throttle.recordFailure(client: attacker, account: $0, now: second) }
        #expect(delays == [100, 200, 400, 800, 1000, 1000])
    }

    @Test func failuresFromOneNetworkLockItOutOfEveryAccount() {
        var throttle = throttle()
        for index in 0..<6 { _ = throttle.recordFailure(client: attacker, account: "user\(index)@x", now: second) }
        #expect(throttle.isLockedOut(client: attacker, account: "someone-else@x", now: 2 * second))
        #expect(!throttle.isLockedOut(client: owner, account: "user0@x", now: 2 * second))
    }

    @Test func failuresForOneAccountLockOnlyThatNetworkOutOfIt() {
        var throttle = throttle()
        for _ in 0..<3 { _ = throttle.recordFailure(client: attacker, account: "a@x", now: second) }
        #expect(throttle.isLockedOut(client: attacker, account: "A@X", now: 2 * second))
        #expect(!throttle.isLockedOut(client: attacker, account: "b@x", now: 2 * second))
        #expect(!throttle.isLockedOut(client: owner, account: "a@x", now: 2 * second))
    }

    /// The old throttle locked the account for everyone after 10 failures from anywhere.
    @Test func failuresFromManyNetworksNeverLockTheAccount() {
        var throttle = throttle()
        for index in 0..<1000 { _ = throttle.recordFailure(client: network(index), account: "a@x", now: second) }
        #expect(!throttle.isLockedOut(client: owner, account: "a@x", now: 2 * second))
    }

    @Test func failuresOnAnAccountFromAnywhereSlowItsFailuresBoundedly() {
        var throttle = throttle()
        let delays = (0..<10).map { index in throttle.recordFailure(client: network(index), account: "a@x", now: second) }
        // each network fails once (100 ms); the account's count doubles 10 ms up to the maximum
        #expect(delays == [100, 100, 100, 100, 160, 320, 640, 1000, 1000, 1000])
        // another account from a fresh network is not slowed by them
        #expect(throttle.recordFailure(client: owner, account: "b@x", now: second) == 100)
    }

    @Test func successEndsOnlyThePairsCount() {
        var throttle = throttle()
        _ = throttle.recordFailure(client: attacker, account: "a@x", now: second)
        _ = throttle.recordFailure(client: attacker, account: "a@x", now: second)
        throttle.recordSuccess(client: attacker, account: "a@x")
        // the pair starts again (two more do not lock it) ...
        _ = throttle.recordFailure(client: attacker, account: "a@x", now: second)
        _ = throttle.recordFailure(client: attacker, account: "a@x", now: second)
        #expect(!throttle.isLockedOut(client: attacker, account: "a@x", now: second))
        // ... but the network's count went on: a valid account does not wipe its guessing elsewhere
        #expect(throttle.recordFailure(client: attacker, account: "b@x", now: second) == 1000)
        _ = throttle.recordFailure(client: attacker, account: "c@x", now: second)
        #expect(throttle.isLockedOut(client: attacker, account: "d@x", now: second))
    }

    @Test func lockoutsEndAndOldFailuresAreForgiven() {
        var throttle = throttle()
        for index in 0..<6 { _ = throttle.recordFailure(client: attacker, account: "user\(index)@x", now: second) }
        #expect(throttle.isLockedOut(client: attacker, account: "a@x", now: 60 * second))
        #expect(!throttle.isLockedOut(client: attacker, account: "a@x", now: 62 * second))
        #expect(throttle.recordFailure(client: attacker, account: "a@x", now: 200 * second) == 100)
    }

    @Test func unknownAndKnownAccountsAreCountedAlike() {
        var knownThrottle = throttle()
        var unknownThrottle = throttle()
        let known = (0..<4).map { _ in knownThrottle.recordFailure(client: attacker, account: "alice@x", now: second) }
        let unknown = (0..<4).map { _ in unknownThrottle.recordFailure(client: attacker, account: "nobody@x", now: second) }
        #expect(known == unknown)
        let order = { (a: LoginThrottle.Record, b: LoginThrottle.Record) in (a.failures, a.lockedUntil) < (b.failures, b.lockedUntil) }
        #expect(knownThrottle.records.values.sorted(by: order) == unknownThrottle.records.values.sorted(by: order))
    }

    @Test func recordsStayBoundedAndLockoutsAreEvictedLast() {
        var throttle = throttle(maximumRecords: 300)
        for index in 0..<6 { _ = throttle.recordFailure(client: attacker, account: "user\(index)@x", now: second) }
        for index in 0..<5000 {
            _ = throttle.recordFailure(client: network(index), account: "n\(index)@x", now: 2 * second)
        }
        #expect(throttle.records.count <= 300)
        #expect(throttle.isLockedOut(client: attacker, account: "a@x", now: 3 * second))
    }

    @Test func expiredRecordsArePrunedFirst() {
        var throttle = throttle(maximumRecords: 30)
        for index in 0..<10 { _ = throttle.recordFailure(client: network(index), account: "a@x", now: second) }
        // a minute later those are forgiven: room for new ones without evicting live ones
        for index in 10..<19 { _ = throttle.recordFailure(client: network(index), account: "b@x", now: 100 * second) }
        #expect(throttle.records.count <= 30)
        #expect(throttle.records[.client(network(18))] != nil)
        #expect(throttle.records[.client(network(0))] == nil)
    }
}

@Suite("Client networks")
struct ClientNetworkTests {
    @Test func ipv4IsItsAddress() {
        #expect(ClientNetwork(address: "192.0.2.1").description == "192.0.2.1")
        #expect(ClientNetwork(address: "192.0.2.1") != ClientNetwork(address: "192.0.2.2"))
    }

    @Test func ipv6CountsByItsSlash64() {
        let one = ClientNetwork(address: "2001:db8:1:2:aaaa:bbbb:cccc:dddd")
        #expect(one.description == "2001:db8:1:2::/64")
        #expect(one == ClientNetwork(address: "2001:DB8:1:2::1"))
        #expect(one != ClientNetwork(address: "2001:db8:1:3::1"))
        #expect(ClientNetwork(address: "fe80::1%eth0") == ClientNetwork(address: "fe80::2"))
    }

    @Test func ipv4MappedIPv6IsTheIPv4Address() {
        #expect(ClientNetwork(address: "::ffff:192.0.2.1") == ClientNetwork(address: "192.0.2.1"))
        #expect(ClientNetwork(address: "::FFFF:c000:0201").description == "192.0.2.1")
        // other IPv4-looking IPv6 forms are IPv6 (here the /64 of ::)
        #expect(ClientNetwork(address: "::192.0.2.1").description == "::/64")
    }

    @Test func anythingElseIsItself() {
        #expect(ClientNetwork(address: "unknown").description == "unknown")
    }
}
