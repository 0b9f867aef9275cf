import NIOConcurrencyHelpers
import TsubameConfig

/// Slows down and stops password guessing without letting a stranger lock a user out.
///
/// Failures are counted per client network (`ClientNetwork`: an IPv4 address or an IPv6 /64),
/// per (client network, account) pair, and per account:
/// - `lockoutFailures` failures from one client network lock that network out of every account;
/// - `lockoutFailuresPerAccount` failures for one account from one client network lock that
///   network out of that account;
/// - failures for an account from anywhere only slow the answers to further *failures* for it
///   (`accountFailureDelayMilliseconds`, bounded). An account is never locked for everyone:
///   that would let anyone on the internet keep its owner out (Dovecot's auth penalty and
///   Postfix's anvil count per client for the same reason).
///
/// Unknown accounts are counted like known ones, and a success resets only its own pair, so the
/// throttle reveals nothing about which accounts exist, and an attacker with one valid account
/// cannot wipe the count of the network it guesses others' passwords from.
///
/// Pure bookkeeping with the time passed in (nanoseconds); `SharedLoginThrottle` adds the lock.
struct LoginThrottle: Sendable {
    struct Record: Sendable, Equatable {
        var failures = 0
        var lastFailure: UInt64 = 0
        var lockedUntil: UInt64 = 0
    }

    enum Key: Hashable, Sendable {
        case client(ClientNetwork)
        case pair(ClientNetwork, account: String)
        case account(String)
    }

    var settings: AuthSettings
    private(set) var records: [Key: Record] = [:]
    /// Bounds memory under a flood of distinct addresses or account names (a record is ~150 bytes).
    let maximumRecords: Int

    init(settings: AuthSettings, maximumRecords: Int = 100_000) {
        self.settings = settings
        self.maximumRecords = maximumRecords
    }

    private var window: UInt64 { UInt64(settings.lockoutSeconds) * 1_000_000_000 }

    /// True when `client` may not try `account` at `now`: the network is locked out, or the
    /// network is locked out of this account. Other networks' failures never count here.
    func isLockedOut(client: ClientNetwork, account: String, now: UInt64) -> Bool {
        [Key.client(client), .pair(client, account: Self.normalized(account))].contains {
            (records[$0]?.lockedUntil ?? 0) > now
        }
    }

    /// Counts a failure; returns how long to wait before answering it, in milliseconds.
    mutating func recordFailure(client: ClientNetwork, account: String, now: UInt64) -> Int {
        let account = Self.normalized(account)
        let clientFailures = count(.client(client), lockAt: settings.lockoutFailures, now: now)
        _ = count(.pair(client, account: account), lockAt: settings.lockoutFailuresPerAccount, now: now)
        let accountFailures = count(.account(account), lockAt: nil, now: now)
        return max(delay(base: settings.failureDelayMilliseconds, failures: clientFailures),
                   delay(base: settings.accountFailureDelayMilliseconds, failures: accountFailures))
    }

    /// A correct password ends the pair's count only; see the type's comment for why.
    mutating func recordSuccess(client: ClientNetwork, account: String) {
        records[.pair(client, account: Self.normalized(account))] = nil
    }

    /// Adds a failure to `key`'s record (old failures forgiven) and returns its count.
    private mutating func count(_ key: Key, lockAt threshold: Int?, now: UInt64) -> Int {
        if records[key] == nil && records.count >= maximumRecords { makeRoom(now: now) }
        var record = records[key] ?? Record()
        if now &- record.lastFailure > window { record.failures = 0 }
        record.failures += 1
        record.lastFailure = now
        if let threshold, record.failures >= threshold { record.lockedUntil = now + window }
        records[key] = record
        return record.failures
    }

    /// `base`, doubled for each failure after the first, at most `maxFailureDelayMilliseconds`.
    private func delay(base: Int, failures: Int) -> Int {
        guard failures > 0 else { return 0 }
        let exponent = min(failures - 1, 20)
        return min(base << exponent, settings.maxFailureDelayMilliseconds)
    }

    /// Drops forgiven records; if that is not enough, the least recently failed, lockouts last,
    /// down to three quarters of the cap so this runs once per many insertions.
    private mutating func makeRoom(now: UInt64) {
        records = records.filter { now &- $0.value.lastFailure <= window || $0.value.lockedUntil > now }
        let target = maximumRecords * 3 / 4
        guard records.count > target else { return }
        let evicted = records.sorted { a, b in
            let (aLocked, bLocked) = (a.value.lockedUntil > now, b.value.lockedUntil > now)
            return aLocked != bLocked ? !aLocked : a.value.lastFailure < b.value.lastFailure
        }.prefix(records.count - target)
        for (key, _) in evicted { records[key] = nil }
    }

    /// Account names are compared as mail addresses are looked up: without case.
    private static func normalized(_ account: String) -> String { account.lowercased() }
}

final class SharedLoginThrottle: Sendable {
    private let state: NIOLockedValueBox<LoginThrottle>

    init(settings: AuthSettings) { state = NIOLockedValueBox(LoginThrottle(settings: settings)) }

    func update(settings: AuthSettings) { state.withLockedValue { $0.settings = settings } }

    func isLockedOut(client: ClientNetwork, account: String, now: UInt64) -> Bool {
        state.withLockedValue { $0.isLockedOut(client: client, account: account, now: now) }
    }

    func recordFailure(client: ClientNetwork, account: String, now: UInt64) -> Int {
        state.withLockedValue { $0.recordFailure(client: client, account: account, now: now) }
    }

    func recordSuccess(client: ClientNetwork, account: String) {
        state.withLockedValue { $0.recordSuccess(client: client, account: account) }
    }
}
