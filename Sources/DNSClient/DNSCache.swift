import NIOConcurrencyHelpers
import NIOCore

/// Answers kept for their TTL (RFC 1035 §3.2.1; negative ones per RFC 2308 §5), keyed by name
/// (case-insensitively) and type. TTLs are capped, the number of entries too, and temporary
/// failures are not kept: the next delivery attempt asks again. The clock is injected.
public final class DNSCache: Sendable {
    /// RFC 2308 §5 suggests 1–3 hours at most for negative answers; one hour for both keeps a
    /// changed MX from being missed for long.
    public static let defaultMaximumTTL: UInt32 = 3600
    public static let defaultMaximumEntries = 10_000

    struct Key: Hashable {
        var name: DNSName
        var type: DNSRecordType
    }

    private struct Entry {
        var result: DNSResult<DNSRecordData>
        var stored: NIODeadline
        var expires: NIODeadline
    }

    private let entries = NIOLockedValueBox<[Key: Entry]>([:])
    private let now: @Sendable () -> NIODeadline
    public let maximumTTL: UInt32
    public let maximumEntries: Int

    public init(maximumTTL: UInt32 = defaultMaximumTTL, maximumEntries: Int = defaultMaximumEntries,
                now: @escaping @Sendable () -> NIODeadline = { .now() }) {
        self.maximumTTL = maximumTTL
        self.maximumEntries = max(1, maximumEntries)
        self.now = now
    }

    public var count: Int { entries.withLockedValue { $0.count } }

    /// The stored result with its TTLs lowered by the time spent in the cache, or nil.
    public func lookup(_ name: DNSName, _ type: DNSRecordType) -> DNSResult<DNSRecordData>? {
        let now = now()
        let key = Key(name: name, type: type)
        return entries.withLockedValue { entries in
            guard let entry = entries[key] else { return nil }
            guard now < entry.expires else {
                entries[key] = nil
                return nil
            }
            let elapsed = UInt32(clamping: (now - entry.stored).nanoseconds / 1_000_000_000)
            return Self.aged(entry.result, by: elapsed)
        }
    }

    public func store(_ result: DNSResult<DNSRecordData>, for name: DNSName, _ type: DNSRecordType) {
        let ttl: UInt32
        switch result {
        case .records(_, let recordTTL, _): ttl = recordTTL
        case .nxdomain(let negativeTTL, _), .noData(let negativeTTL, _): ttl = negativeTTL
        case .temporaryFailure: return
        }
        let kept = min(ttl, maximumTTL)
        guard kept > 0 else { return }  // TTL 0: use once, never cache (RFC 1035 §3.2.1)
        let now = now()
        let entry = Entry(result: Self.aged(result, by: ttl - kept), stored: now, expires: now + .seconds(Int64(kept)))
        let key = Key(name: name, type: type)
        entries.withLockedValue { entries in
            if entries[key] == nil, entries.count >= maximumEntries {
                entries = entries.filter { now < $0.value.expires }
                // Still full of live answers: drop the one closest to expiring.
                if entries.count >= maximumEntries, let soonest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                    entries[soonest.key] = nil
                }
            }
            entries[key] = entry
        }
    }

    private static func aged(_ result: DNSResult<DNSRecordData>, by seconds: UInt32) -> DNSResult<DNSRecordData> {
        switch result {
        case .records(let records, let ttl, let authenticated):
            .records(records, ttl: ttl - min(ttl, seconds), authenticated: authenticated)
        case .nxdomain(let ttl, let authenticated):
            .nxdomain(negativeTTL: ttl - min(ttl, seconds), authenticated: authenticated)
        case .noData(let ttl, let authenticated):
            .noData(negativeTTL: ttl - min(ttl, seconds), authenticated: authenticated)
        case .temporaryFailure:
            result
        }
    }
}
