/// The outcome of a lookup, keeping apart what a mail server must treat differently
/// (RFC 5321 §5.1: no such domain bounces, a temporary failure is retried).
public enum DNSResult<Record: Hashable & Sendable>: Hashable, Sendable {
    /// The records of the asked type (never empty), the smallest TTL on the way to them
    /// (CNAMEs included), and whether a trusted resolver vouched for them (AD, RFC 4035 §3.2.3).
    case records([Record], ttl: UInt32, authenticated: Bool)
    /// RCODE 3: the name does not exist (RFC 1035 §4.1.1, RFC 2308 §2.1).
    case nxdomain(negativeTTL: UInt32, authenticated: Bool)
    /// The name exists but has no record of this type (RFC 2308 §2.2).
    case noData(negativeTTL: UInt32, authenticated: Bool)
    /// Worth trying again later: SERVFAIL, REFUSED, a timeout, a malformed answer...
    case temporaryFailure(DNSFailure)

    public var authenticated: Bool {
        switch self {
        case .records(_, _, let authenticated), .nxdomain(_, let authenticated), .noData(_, let authenticated):
            authenticated
        case .temporaryFailure:
            false
        }
    }

    /// Keeps the outcome, converting each record; records `transform` turns into nil are
    /// dropped, and if none remain it is no data.
    func compactMap<Other>(_ transform: (Record) -> Other?) -> DNSResult<Other> {
        switch self {
        case .records(let records, let ttl, let authenticated):
            let converted = records.compactMap(transform)
            return converted.isEmpty ? .noData(negativeTTL: 0, authenticated: authenticated)
                : .records(converted, ttl: ttl, authenticated: authenticated)
        case .nxdomain(let ttl, let authenticated): return .nxdomain(negativeTTL: ttl, authenticated: authenticated)
        case .noData(let ttl, let authenticated): return .noData(negativeTTL: ttl, authenticated: authenticated)
        case .temporaryFailure(let failure): return .temporaryFailure(failure)
        }
    }

    func withAuthenticated(_ value: Bool) -> DNSResult {
        switch self {
        case .records(let records, let ttl, _): .records(records, ttl: ttl, authenticated: value)
        case .nxdomain(let ttl, _): .nxdomain(negativeTTL: ttl, authenticated: value)
        case .noData(let ttl, _): .noData(negativeTTL: ttl, authenticated: value)
        case .temporaryFailure: self
        }
    }
}

public enum DNSFailure: Error, Hashable, Sendable, CustomStringConvertible {
    case serverFailure  // RCODE 2
    case refused  // RCODE 5
    case responseCode(UInt16)  // any other error RCODE, extended ones included
    case timeout
    case malformed(String)
    case cnameChainTooLong
    case truncatedOverTCP
    case network(String)
    case noNameservers

    public var description: String {
        switch self {
        case .serverFailure: "SERVFAIL"
        case .refused: "REFUSED"
        case .responseCode(let code): "RCODE \(code)"
        case .timeout: "no answer in time"
        case .malformed(let reason): "malformed answer: \(reason)"
        case .cnameChainTooLong: "CNAME chain too long"
        case .truncatedOverTCP: "truncated answer over TCP"
        case .network(let reason): "network error: \(reason)"
        case .noNameservers: "no nameserver configured"
        }
    }
}
