/// Turns a response that answers a query into a `DNSResult`. Pure: the transport has already
/// matched the response to the query (`DNSQuery.isAnswered(by:)`) and retried over TCP if
/// it was truncated. The AD bit is passed through as the resolver reported it; whether to
/// believe it is the resolver's decision (`DNSResolverConfiguration.trustsAuthenticData`).
public enum DNSAnswerInterpreter {
    /// A recursive resolver follows CNAMEs and puts the chain in the answer (RFC 1034 §4.3.2
    /// step 3a); we follow it there, but not for ever.
    public static let maximumCNAMEChain = 8

    public static func interpret(_ message: DNSMessage, for query: DNSQuery) -> DNSResult<DNSRecordData> {
        let authenticated = message.header.authenticData
        switch message.responseCode {
        case 0, 3:
            break
        case 2:
            return .temporaryFailure(.serverFailure)
        case 5:
            return .temporaryFailure(.refused)
        case let code:
            return .temporaryFailure(.responseCode(code))
        }
        // Follow the chain from the question's name (RFC 1034 §3.6.2: a CNAME owner has no
        // other data, so records of the asked type are looked for at the end of the chain).
        var current = query.name
        var ttl = UInt32.max
        var seen: Set<DNSName> = [current]
        for _ in 0...maximumCNAMEChain {
            let matching = message.answers.filter { $0.name == current && $0.recordClass == dnsClassIN }
            let records = matching.filter { $0.type == query.type }
            if !records.isEmpty {
                // RFC 6604 §3: an NXDOMAIN RCODE after a CNAME speaks of the chain's end, yet
                // records of the asked type were given: the answer is them.
                let minimum = records.map(\.ttl).min()!
                return .records(records.map(\.data), ttl: min(ttl, minimum), authenticated: authenticated)
            }
            guard query.type != .cname,
                  let alias = matching.first(where: { $0.type == .cname }), case .cname(let target) = alias.data
            else {
                return negative(message, authenticated: authenticated)
            }
            guard seen.insert(target).inserted else { return .temporaryFailure(.cnameChainTooLong) }
            ttl = min(ttl, alias.ttl)
            current = target
        }
        return .temporaryFailure(.cnameChainTooLong)
    }

    /// RFC 2308 §5: a negative answer is cached for the smaller of the SOA's TTL and its
    /// MINIMUM field; without an SOA in the authority section it is not cached (§5, "SHOULD NOT").
    private static func negative(_ message: DNSMessage, authenticated: Bool) -> DNSResult<DNSRecordData> {
        let negativeTTL = message.authority.lazy.compactMap { record -> UInt32? in
            guard case .soa(let soa) = record.data else { return nil }
            return min(record.ttl, soa.minimum)
        }.first ?? 0
        return message.responseCode == 3
            ? .nxdomain(negativeTTL: negativeTTL, authenticated: authenticated)
            : .noData(negativeTTL: negativeTTL, authenticated: authenticated)
    }
}
