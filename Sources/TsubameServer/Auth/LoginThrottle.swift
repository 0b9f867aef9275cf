import NIOConcurrencyHelpers
import TsubameConfig

/// Slows down password guessing: after each consecutive failure, per client IP and per account
/// name, the answer waits longer (doubling up to a maximum); past a count, logins from that IP
/// or to that account are refused for a while. Unknown accounts count like known ones, so the
/// throttle reveals nothing about which accounts exist.
///
/// Pure bookkeeping with the time passed in; `SharedLoginThrottle` adds the lock.
struct LoginThrottle: Sendable {
    struct Record: Sendable {
        var failures = 0
        var lastFailure: UInt64 = 0
        var lockedUntil: UInt64 = 0
    }

    var settings: AuthSettings
    private(set) var records: [String: Record] = [:]
    /// Bounds memory under a flood of distinct names or addresses.
    static let maximumRecords = 100_000

    init(settings: AuthSettings) { self.settings = settings }

    private var window: UInt64 { UInt64(settings.lockoutSeconds) * 1_000_000_000 }

    /// True when the IP or the account is locked out at `now` (nanoseconds).
    func isLockedOut(address: String, account: String, now: UInt64) -> Bool {
        [key(address: address), key(account: account)].contains { (records[$0]?.lockedUntil ?? 0) > now }
    }

    /// Counts a failure; returns how long to wait before answering, in milliseconds.
    mutating func recordFailure(address: String, account: String, now: UInt64) -> Int {
        if records.count > Self.maximumRecords { prune(now: now) }
        var worst = 0
        for key in [key(address: address), key(account: account)] {
            var record = records[key] ?? Record()
            if now &- record.lastFailure > window { record.failures = 0 }  // old failures are forgiven
            record.failures += 1
            record.lastFailure = now
            if record.failures >= settings.lockoutFailures { record.lockedUntil = now + window }
            records[key] = record
            worst = max(worst, record.failures)
        }
        let exponent = min(worst - 1, 20)
        return min(settings.failureDelayMilliseconds << exponent, settings.maxFailureDelayMilliseconds)
    }

    mutating func recordSuccess(address: String, account: String) {
        records[key(address: address)] = nil
        records[key(account: account)] = nil
    }

    private mutating func prune(now: UInt64) {
        records = records.filter { now &- $0.value.lastFailure <= window || $0.value.lockedUntil > now }
    }

    private func key(address: String) -> String { "ip:\(address)" }
    private func key(account: String) -> String { "user:\(account.lowercased())" }
}

final class SharedLoginThrottle: Sendable {
    private let state: NIOLockedValueBox<LoginThrottle>

    init(settings: AuthSettings) { state = NIOLockedValueBox(LoginThrottle(settings: settings)) }

    func update(settings: AuthSettings) { state.withLockedValue { $0.settings = settings } }

    func isLockedOut(address: String, account: String, now: UInt64) -> Bool {
        state.withLockedValue { $0.isLockedOut(address: address, account: account, now: now) }
    }

    func recordFailure(address: String, account: String, now: UInt64) -> Int {
        state.withLockedValue { $0.recordFailure(address: address, account: account, now: now) }
    }

    func recordSuccess(address: String, account: String) {
        state.withLockedValue { $0.recordSuccess(address: address, account: account) }
    }
}
