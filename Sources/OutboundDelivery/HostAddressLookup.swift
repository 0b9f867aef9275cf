import DNSClient

/// The addresses of one host name, by `[delivery] ip_family`, or why there are none.
enum HostAddresses: Equatable {
    /// Canonical text, in dialling order; never empty.
    case found([String])
    /// NXDOMAIN or no data for every family asked: this name will not give an address soon.
    case noAddress
    /// A lookup failed in a way worth retrying, and no family gave an address.
    case temporaryFailure(DNSFailure)
}

extension DNSResolver {
    /// A and/or AAAA of `name` (never MX: RFC 5321 §5.1 applies MX to the destination domain
    /// only). For `any`, IPv4 comes first: large receivers (Gmail among them) refuse or
    /// spam-score mail over IPv6 from addresses without reverse DNS, which many home and VPS
    /// IPv6 setups lack, so IPv4 is the family more likely to be accepted; IPv6 follows as the
    /// fallback. If one family fails temporarily but the other gives addresses, those are used:
    /// waiting for the broken family would delay mail that can go now.
    func addresses(of name: String, family: IPFamily) async -> HostAddresses {
        async let v4: DNSResult<String>? = family == .ipv6 ? nil : a(name).map(\.description)
        async let v6: DNSResult<String>? = family == .ipv4 ? nil : aaaa(name).map(\.description)
        let results = await [v4, v6].compactMap { $0 }
        var found: [String] = []
        var failure: DNSFailure?
        for result in results {
            switch result {
            case .records(let records, _, _):
                for record in records {
                    if let address = IPAddressText.canonical(record), !found.contains(address) { found.append(address) }
                }
            case .temporaryFailure(let error):
                failure = failure ?? error
            case .nxdomain, .noData:
                break
            }
        }
        if !found.isEmpty { return .found(found) }
        return failure.map { .temporaryFailure($0) } ?? .noAddress
    }
}

extension DNSResult {
    /// The same outcome with each record converted (records never become empty here).
    fileprivate func map<Other>(_ transform: (Record) -> Other) -> DNSResult<Other> {
        switch self {
        case .records(let records, let ttl, let authenticated):
            .records(records.map(transform), ttl: ttl, authenticated: authenticated)
        case .nxdomain(let ttl, let authenticated): .nxdomain(negativeTTL: ttl, authenticated: authenticated)
        case .noData(let ttl, let authenticated): .noData(negativeTTL: ttl, authenticated: authenticated)
        case .temporaryFailure(let failure): .temporaryFailure(failure)
        }
    }
}
