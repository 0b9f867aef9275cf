import NIOConcurrencyHelpers
import TsubameConfig

/// Sending rates per authenticated account (`[submission]`), so a stolen password cannot send
/// a flood. Counted when MAIL and RCPT are accepted; see `SendingRates`.
final class SubmissionLimiter: Sendable {
    private let rates: NIOLockedValueBox<SendingRates>

    init(settings: SubmissionSettings) {
        rates = NIOLockedValueBox(SendingRates(settings: settings))
    }

    /// SIGHUP: the new limits apply from the next message; what was counted stays counted.
    func update(settings: SubmissionSettings) {
        rates.withLockedValue { $0.settings = settings }
    }

    /// At MAIL: false when the account has used `max_messages_per_hour` (450 4.7.1); true
    /// counts this message.
    func admitMessage(account: String, now: UInt64) -> Bool {
        rates.withLockedValue { $0.admitMessage(account: account, now: now) }
    }

    /// At RCPT, with the recipients this message has so far: false past
    /// `max_recipients_per_message` or `max_recipients_per_hour` (450 4.7.1); true counts it.
    func admitRecipient(account: String, recipientsInMessage: Int, now: UInt64) -> Bool {
        rates.withLockedValue { $0.admitRecipient(account: account, recipientsInMessage: recipientsInMessage, now: now) }
    }
}
