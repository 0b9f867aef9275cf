import Testing
import TsubameConfig
@testable import TsubameServer

@Suite("Login throttle")
struct LoginThrottleTests {
    func throttle() -> LoginThrottle {
        var settings = AuthSettings()
        settings.failureDelayMilliseconds = 100
        settings.maxFailureDelayMilliseconds = 1000
        settings.lockoutFailures = 5
        settings.lockoutSeconds = 60
        return LoginThrottle(settings: settings)
    }

    let second: UInt64 = 1_000_000_000

    @Test func delayDoublesUpToTheMaximum() {
        var throttle = throttle()
        let delays = (0..<6).map { _ in throttle.recordFailure(address: "192.0.2.1", account: "a@x", now: second) }
        #expect(delays == [100, 200, 400, 800, 1000, 1000])
    }

    @Test func countsPerAddressAndPerAccount() {
        var throttle = throttle()
        _ = throttle.recordFailure(address: "192.0.2.1", account: "a@x", now: second)
        // another account from the same address: the address's count goes on
        #expect(throttle.recordFailure(address: "192.0.2.1", account: "b@x", now: second) == 200)
        // the same account from another address: the account's count goes on
        #expect(throttle.recordFailure(address: "192.0.2.2", account: "A@X", now: second) == 200)
    }

    @Test func locksOutAndForgivesLater() {
        var throttle = throttle()
        for _ in 0..<5 { _ = throttle.recordFailure(address: "192.0.2.1", account: "a@x", now: second) }
        #expect(throttle.isLockedOut(address: "192.0.2.9", account: "a@x", now: 2 * second))
        #expect(throttle.isLockedOut(address: "192.0.2.1", account: "z@x", now: 2 * second))
        #expect(!throttle.isLockedOut(address: "192.0.2.9", account: "z@x", now: 2 * second))
        #expect(!throttle.isLockedOut(address: "192.0.2.1", account: "a@x", now: 62 * second))
        #expect(throttle.recordFailure(address: "192.0.2.1", account: "a@x", now: 200 * second) == 100)
    }

    @Test func successResets() {
        var throttle = throttle()
        _ = throttle.recordFailure(address: "192.0.2.1", account: "a@x", now: second)
        throttle.recordSuccess(address: "192.0.2.1", account: "a@x")
        #expect(throttle.recordFailure(address: "192.0.2.1", account: "a@x", now: second) == 100)
    }
}
