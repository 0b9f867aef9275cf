#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import NIOConcurrencyHelpers

/// Passwords that verified recently against a stored hash, as Dovecot's `auth_cache` keeps
/// successful logins: a yescrypt check costs ~22 ms of CPU on purpose, and mail clients log
/// in to POP3 and IMAP every few minutes, several connections at a time.
///
/// An entry is an HMAC (a secret made for this process) of the stored hash and the password,
/// never the password: a memory dump gives nothing to try elsewhere. Keyed by the stored hash,
/// which carries the user's own salt, an entry only ever stands for "this password matches
/// this hash", which stays true; a `user passwd` writes a new hash, so the old password stops
/// working at once, in every process. Only successes are kept: a wrong password always costs
/// the full check, and a hit needs the right password, so timing tells a stranger nothing.
public final class VerifiedPasswords: Sendable {
    public struct Settings: Sendable, Equatable {
        /// How long a verification counts; 0 keeps nothing.
        public var seconds: Int
        /// Entries kept at most; when full, the one closest to expiring goes.
        public var capacity: Int

        public init(seconds: Int = 3600, capacity: Int = 10_000) {
            self.seconds = seconds
            self.capacity = capacity
        }
    }

    private struct State {
        var settings: Settings
        /// Key → monotonic expiry in nanoseconds.
        var entries: [Data: UInt64] = [:]
    }

    /// Made at start, never stored: entries mean nothing outside this process.
    private let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    private let state: NIOLockedValueBox<State>

    public init(settings: Settings = Settings()) {
        state = NIOLockedValueBox(State(settings: settings))
    }

    /// SIGHUP: new settings; shrinking drops entries beyond the new bounds.
    public func update(_ settings: Settings) {
        state.withLockedValue { state in
            state.settings = settings
            if settings.seconds == 0 { state.entries = [:] }
            while state.entries.count > settings.capacity { Self.dropSoonestToExpire(&state) }
        }
    }

    public var count: Int { state.withLockedValue { $0.entries.count } }

    /// Whether `password` verified against `hash` within the last `seconds`.
    public func contains(hash: String, password: String, now: UInt64 = VerifiedPasswords.now()) -> Bool {
        let key = digest(hash: hash, password: password)
        return state.withLockedValue { state in
            guard let expiry = state.entries[key] else { return false }
            guard expiry > now else {
                state.entries[key] = nil
                return false
            }
            return true
        }
    }

    /// Records a successful verification.
    public func remember(hash: String, password: String, now: UInt64 = VerifiedPasswords.now()) {
        let key = digest(hash: hash, password: password)
        state.withLockedValue { state in
            let settings = state.settings
            guard settings.seconds > 0, settings.capacity > 0 else { return }
            if state.entries[key] == nil, state.entries.count >= settings.capacity {
                state.entries = state.entries.filter { $0.value > now }
                while state.entries.count >= settings.capacity { Self.dropSoonestToExpire(&state) }
            }
            state.entries[key] = now + UInt64(settings.seconds) * 1_000_000_000
        }
    }

    private static func dropSoonestToExpire(_ state: inout State) {
        guard let soonest = state.entries.min(by: { $0.value < $1.value }) else { return }
        state.entries[soonest.key] = nil
    }

    private func digest(hash: String, password: String) -> Data {
        var message = Data(hash.utf8)
        message.append(0)
        message.append(contentsOf: password.utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
    }

    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
