import Foundation

/// When to try a recipient again, and when to give up: a pure function of the attempt count
/// and one random sample, so that tests fix the sample.
///
/// RFC 5321 §4.5.4.1: retry after at least 30 minutes, give up after 4–5 days. We start
/// shorter (5 min, doubling to at most 1 h, as greylisting releases mail after minutes) and keep
/// the 5-day lifetime. The ±10 % jitter spreads out the retries of a queue that was stopped,
/// so a restart does not dial every destination in the same second.
public struct RetrySchedule: Sendable, Equatable {
    public var firstRetry: TimeInterval
    public var maximumInterval: TimeInterval
    /// 0.1 means each delay is stretched or shrunk by up to 10 %.
    public var jitter: Double
    /// `[queue] max_lifetime`: a recipient not delivered by arrival + this fails (and bounces).
    public var maximumLifetime: TimeInterval
    /// `[queue] delay_warning`: a recipient still pending after this gets one delay notice.
    public var delayWarning: TimeInterval

    public init(firstRetry: TimeInterval = 5 * 60, maximumInterval: TimeInterval = 60 * 60, jitter: Double = 0.1,
                maximumLifetime: TimeInterval = 5 * 24 * 3600, delayWarning: TimeInterval = 4 * 3600) {
        self.firstRetry = firstRetry
        self.maximumInterval = maximumInterval
        self.jitter = jitter
        self.maximumLifetime = maximumLifetime
        self.delayWarning = delayWarning
    }

    /// Seconds from an attempt to the next one, once `attempts` attempts were made (≥ 1):
    /// firstRetry × 2^(attempts−1), at most maximumInterval, times (1 + jitter × sample).
    /// `sample` is in −1...1 (clamped), from a `JitterSource`.
    public func delay(afterAttempts attempts: Int, sample: Double) -> TimeInterval {
        // 2^12 × 5 min is already far past any sensible maximum; the cap avoids overflow.
        let doublings = min(max(attempts, 1) - 1, 12)
        let base = min(firstRetry * Double(1 << doublings), maximumInterval)
        return base * (1 + jitter * min(max(sample, -1), 1))
    }

    public func expiry(arrival: Date) -> Date { arrival.addingTimeInterval(maximumLifetime) }
}

/// Random samples in −1...1 for the jitter. Injected so that tests are repeatable.
public struct JitterSource: Sendable {
    public let next: @Sendable () -> Double

    public init(_ next: @escaping @Sendable () -> Double) { self.next = next }

    public static let system = JitterSource { Double.random(in: -1...1) }

    /// Always the same sample: 0 gives the schedule's exact delays.
    public static func fixed(_ sample: Double) -> JitterSource { JitterSource { sample } }
}
