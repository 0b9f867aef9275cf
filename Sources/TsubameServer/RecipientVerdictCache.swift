import AccountDirectory
import NIOConcurrencyHelpers
import NIOCore

/// Accepted recipients, remembered while the directory is unchanged (`changeStamp`) and for
/// at most `lifetime`, so a RCPT for an address seen moments ago is answered on the event loop
/// without a trip to the lookup threads and SQLite (that trip was an eighth of the server's
/// CPU under an SMTP flood, most of it thread wake-ups). Only acceptances are kept: a
/// directory harvest of unknown names cannot fill it, and a user added a moment ago is never
/// refused from memory. Any write to the directory, by this process or the CLI, empties it.
final class RecipientVerdictCache: Sendable {
    struct Key: Hashable {
        var address: String
        var recipientDelimiter: String?
        var primaryDomain: String
    }

    static let defaultLifetime = TimeAmount.seconds(10)
    static let capacity = 10_000

    /// How long an acceptance is trusted even while the directory's files look unchanged
    /// (their times tick in jiffies, so two writes within one could look like none).
    let lifetime: TimeAmount

    init(lifetime: TimeAmount = defaultLifetime) {
        self.lifetime = lifetime
    }

    private struct State {
        var stamp: DirectoryChangeStamp?
        var entries: [Key: (recipient: ResolvedRecipient, expires: NIODeadline)] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// The remembered acceptance, when the directory is still as it was then.
    func accepted(_ key: Key, stamp: DirectoryChangeStamp, now: NIODeadline = .now()) -> ResolvedRecipient? {
        state.withLockedValue { state in
            guard state.stamp == stamp else {
                state.entries.removeAll()
                state.stamp = stamp
                return nil
            }
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                return nil
            }
            return entry.recipient
        }
    }

    /// `stamp` is the one read before the lookup began: a write during the lookup changed the
    /// stamp since, so the next `accepted` forgets this entry with the rest.
    func remember(_ key: Key, _ recipient: ResolvedRecipient, stamp: DirectoryChangeStamp, now: NIODeadline = .now()) {
        state.withLockedValue { state in
            guard state.stamp == stamp else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll() }
            state.entries[key] = (recipient, now + lifetime)
        }
    }
}
