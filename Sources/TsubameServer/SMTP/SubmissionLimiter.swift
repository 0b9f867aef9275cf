import TsubameConfig

/// Sending rates per authenticated account over the last hour (`[submission]`), so a stolen
/// password cannot send a flood. Counted when MAIL and RCPT are accepted.
final class SubmissionLimiter: Sendable {
    init(settings: SubmissionSettings) {
        // CONTRACT (helper "ops"): implement.
    }

    /// SIGHUP.
    func update(settings: SubmissionSettings) {
        // CONTRACT (helper "ops"): implement.
    }

    /// At MAIL: false when the account has sent `max_messages_per_hour` already (450 4.7.1);
    /// true counts this message.
    func admitMessage(account: String, now: UInt64) -> Bool {
        // CONTRACT (helper "ops"): implement.
        true
    }

    /// At RCPT, with the recipients this message has so far: false past
    /// `max_recipients_per_message` or `max_recipients_per_hour` (450 4.7.1); true counts it.
    func admitRecipient(account: String, recipientsInMessage: Int, now: UInt64) -> Bool {
        // CONTRACT (helper "ops"): implement.
        true
    }
}
