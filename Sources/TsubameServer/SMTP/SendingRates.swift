import TsubameConfig

/// Per-account sending rates as token buckets: each limit is a bucket holding at most "per
/// hour" tokens, refilled continuously at that many per hour, so an account may send its hourly
/// amount in a burst and then as fast as the hour allows, never more in any hour-long window
/// than twice the limit, and usually the limit (Postfix's anvil counts per fixed window;
/// a bucket has no window edge to time a burst against).
///
/// Pure bookkeeping with the time passed in (nanoseconds); `SubmissionLimiter` adds the lock.
struct SendingRates: Sendable {
    struct Bucket: Sendable, Equatable {
        var tokens: Double
        var updated: UInt64
    }

    private static let nanosecondsPerHour = 3_600_000_000_000.0

    var settings: SubmissionSettings
    private(set) var messages: [String: Bucket] = [:]
    private(set) var recipients: [String: Bucket] = [:]
    /// Accounts are users who logged in, so few; still bounded, since a full bucket says nothing.
    let maximumAccounts: Int

    init(settings: SubmissionSettings, maximumAccounts: Int = 100_000) {
        self.settings = settings
        self.maximumAccounts = maximumAccounts
    }

    mutating func admitMessage(account: String, now: UInt64) -> Bool {
        Self.take(from: &messages, account: account, perHour: settings.maxMessagesPerHour, now: now,
                  maximumAccounts: maximumAccounts)
    }

    /// `recipientsInMessage`: the recipients this message has already.
    mutating func admitRecipient(account: String, recipientsInMessage: Int, now: UInt64) -> Bool {
        guard recipientsInMessage < settings.maxRecipientsPerMessage else { return false }
        return Self.take(from: &recipients, account: account, perHour: settings.maxRecipientsPerHour, now: now,
                         maximumAccounts: maximumAccounts)
    }

    private static func take(from buckets: inout [String: Bucket], account: String, perHour: Int, now: UInt64,
                             maximumAccounts: Int) -> Bool {
        let key = account.lowercased()
        let capacity = Double(perHour)
        var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
        let elapsed = now >= bucket.updated ? Double(now - bucket.updated) : 0
        bucket.tokens = min(capacity, bucket.tokens + elapsed * capacity / Self.nanosecondsPerHour)
        bucket.updated = now
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            return false
        }
        bucket.tokens -= 1
        if buckets[key] == nil, buckets.count >= maximumAccounts { forgetFullBuckets(&buckets, capacity: capacity, now: now, maximumAccounts: maximumAccounts) }
        buckets[key] = bucket
        return true
    }

    /// Drops the buckets that have refilled (they hold nothing a fresh one would not).
    private static func forgetFullBuckets(_ buckets: inout [String: Bucket], capacity perHour: Double, now: UInt64,
                                          maximumAccounts: Int) {
        buckets = buckets.filter { _, bucket in
            let elapsed = now >= bucket.updated ? Double(now - bucket.updated) : 0
            return bucket.tokens + elapsed * perHour / nanosecondsPerHour < perHour
        }
        if buckets.count >= maximumAccounts { buckets.removeAll() }
    }
}
