import DNSClient
import SMTPProtocol

/// Which hosts to try for a destination domain, in order (RFC 5321 §5.1), or why none:
/// `.failure` with status `.failed` bounces (NXDOMAIN 5.1.2, null MX 5.1.10, loop 5.4.6),
/// with `.deferred` retries (SERVFAIL, timeouts, a smarthost whose name does not resolve:
/// a configuration problem must never bounce everyone's mail).
///
/// Order of decisions: `[delivery.routes]` entry for the domain → smarthost → MX.
public struct RouteSelector: Sendable {
    public let resolver: DNSResolver
    public let settings: OutboundSettings
    /// Reorders hosts of equal MX preference; tests pass the identity.
    public let shuffle: @Sendable ([DeliveryHost]) -> [DeliveryHost]

    /// MX records looked at, best first: a zone listing thousands must not cost thousands of
    /// lookups. Only hosts worse than the first 32 are ignored, and at most
    /// `maximumHosts` are tried anyway.
    static let maximumMXRecords = 32

    public init(resolver: DNSResolver, settings: OutboundSettings,
                shuffle: @escaping @Sendable ([DeliveryHost]) -> [DeliveryHost] = { $0.shuffled() }) {
        self.resolver = resolver
        self.settings = settings
        self.shuffle = shuffle
    }

    /// At most `settings.maximumHosts` hosts, each with at least one address of the allowed family.
    public func route(for domain: String) async -> Result<[DeliveryHost], SMTPClientFailure> {
        // Domains compare without case and without the root's dot (RFC 4343 §2, RFC 1034 §3.1).
        let domain = LoopDetector.normalized(domain)
        guard !domain.isEmpty else { return .failure(Self.noSuchDomain("(empty)")) }
        let loops = LoopDetector(identity: settings.localIdentity, heloName: settings.heloName)
        // An explicit route or a smarthost replaces the MX lookup (RFC 5321 §5.1 allows
        // "configured" relays); a route, being the more specific, wins over the smarthost.
        if let hop = settings.routes[domain] {
            return await route(via: hop, role: "route for \(domain)", domain: domain, loops: loops)
        }
        if let smarthost = settings.smarthost {
            return await route(via: smarthost.hop, role: "relay host", domain: domain, loops: loops)
        }
        // RFC 5321 §5.1: a domain that is an address literal ("[192.0.2.1]", "[IPv6:…]") is
        // dialled as it is, without MX.
        if domain.hasPrefix("[") {
            guard let hop = NextHop(parsing: domain), case .address = hop.target, hop.port == nil else {
                return .failure(Self.noSuchDomain(domain))
            }
            return await route(via: hop, role: "address literal", domain: domain, loops: loops)
        }
        return await routeByMX(domain, loops: loops)
    }

    // MARK: Routes and smarthosts

    /// A configured next hop: A/AAAA only, never MX (the hop is a host, not a mail domain).
    /// Every DNS problem defers with 4.4.3: it is our configuration or our resolver at fault,
    /// and bouncing would return every message of the day to its sender.
    private func route(via hop: NextHop, role: String, domain: String,
                       loops: LoopDetector) async -> Result<[DeliveryHost], SMTPClientFailure> {
        let port = hop.port ?? settings.smtpPort
        let host: DeliveryHost
        switch hop.target {
        case .address(let address):
            guard settings.ipFamily.allows(address) else {
                return .failure(SMTPClientFailure(
                    status: .deferred, reason: "\(role) \(hop) is not an address of ip_family = \(settings.ipFamily.rawValue)",
                    enhancedCode: "4.4.4"))
            }
            // No name to verify or send as SNI: the address stands for it (RFC 6066 §3).
            host = DeliveryHost(name: address, addresses: [address], port: port)
        case .host(let name):
            switch await resolver.addresses(of: name, family: settings.ipFamily) {
            case .found(let addresses):
                host = DeliveryHost(name: name, addresses: addresses, port: port)
            case .noAddress:
                return .failure(SMTPClientFailure(
                    status: .deferred, reason: "\(role) \(name) has no address\(settings.ipFamily.restriction)",
                    enhancedCode: "4.4.3"))
            case .temporaryFailure(let failure):
                return .failure(SMTPClientFailure(
                    status: .deferred, reason: "\(role) \(name) could not be looked up: \(failure)", enhancedCode: "4.4.3"))
            }
        }
        // RFC 5321 §5.1's loop rule holds for any next hop: a route to ourselves would make
        // each attempt queue the message again, for ever (Postfix bounces it too).
        if loops.isLocal(name: host.name, addresses: host.addresses, port: port) {
            return .failure(Self.loop(domain))
        }
        return .success([host])
    }

    // MARK: MX

    private func routeByMX(_ domain: String, loops: LoopDetector) async -> Result<[DeliveryHost], SMTPClientFailure> {
        let records: [MXRecord]
        switch await resolver.mx(domain) {
        case .records(let found, _, _):
            records = found
        case .noData:
            return await routeByImplicitMX(domain, loops: loops)
        case .nxdomain:
            // RFC 5321 §5.1: a name that does not exist cannot receive mail; RFC 3463 X.1.2.
            return .failure(Self.noSuchDomain(domain))
        case .temporaryFailure(let failure):
            // RFC 5321 §5.1: a temporary DNS error is a reason to queue and retry, not to bounce.
            return .failure(SMTPClientFailure(
                status: .deferred, reason: "MX lookup for \(domain) failed: \(failure)", enhancedCode: "4.4.3"))
        }
        // RFC 7505 §3 allows a null MX only alone; one beside other MX is a broken zone, yet it
        // still states that the domain wants no mail, so it is honoured (§4.3: no retries).
        if records.contains(where: \.isNullMX) {
            return .failure(SMTPClientFailure(
                status: .failed, reason: "domain does not accept mail (null MX, RFC 7505)", enhancedCode: "5.1.10"))
        }
        var selection = MXHostSelection(maximumHosts: settings.maximumHosts)
        for group in preferenceGroups(records) {
            guard selection.wantsMore else { break }
            let resolved = await lookUp(group)
            selection.add(group: resolved) { loops.isLocal(name: $0.name, addresses: $0.addresses, port: $0.port) }
        }
        return selection.outcome(domain: domain, family: settings.ipFamily)
    }

    /// RFC 5321 §5.1: "the MX records [are sorted] by preference", and "if there are multiple
    /// destinations with the same preference ... the SMTP client SHOULD randomize them to
    /// spread the load". The same exchange listed twice is kept at its best preference.
    private func preferenceGroups(_ records: [MXRecord]) -> [[DeliveryHost]] {
        var seen: Set<String> = []
        let hosts = records.sorted { $0.preference < $1.preference }
            .prefix(Self.maximumMXRecords)
            .compactMap { record -> DeliveryHost? in
                let name = LoopDetector.normalized(record.exchange.description)
                guard seen.insert(name).inserted else { return nil }
                return DeliveryHost(name: name, addresses: [], port: settings.smtpPort, preference: Int(record.preference))
            }
        var groups: [[DeliveryHost]] = []
        for host in hosts {
            if let last = groups.last?.last, last.preference == host.preference {
                groups[groups.count - 1].append(host)
            } else {
                groups.append([host])
            }
        }
        return groups.map { $0.count > 1 ? shuffle($0) : $0 }
    }

    /// The addresses of one group's hosts, looked up at once, in the group's order.
    private func lookUp(_ group: [DeliveryHost]) async -> [(host: DeliveryHost, addresses: HostAddresses)] {
        let resolver = resolver, family = settings.ipFamily
        return await withTaskGroup(of: (Int, HostAddresses).self) { tasks in
            for (index, host) in group.enumerated() {
                tasks.addTask { (index, await resolver.addresses(of: host.name, family: family)) }
            }
            var outcomes = [HostAddresses](repeating: .noAddress, count: group.count)
            for await (index, outcome) in tasks { outcomes[index] = outcome }
            return Array(zip(group, outcomes)).map { (host: $0.0, addresses: $0.1) }
        }
    }

    /// RFC 5321 §5.1: "If an empty list of MXs is returned, the address is treated as if it
    /// was associated with an implicit MX RR, with a preference of 0, pointing to that host."
    private func routeByImplicitMX(_ domain: String, loops: LoopDetector) async -> Result<[DeliveryHost], SMTPClientFailure> {
        switch await resolver.addresses(of: domain, family: settings.ipFamily) {
        case .found(let addresses):
            let host = DeliveryHost(name: domain, addresses: addresses, port: settings.smtpPort)
            if loops.isLocal(name: host.name, addresses: host.addresses, port: host.port) {
                return .failure(Self.loop(domain))
            }
            return .success([host])
        case .noAddress:
            // Neither MX nor address: nothing to deliver to (RFC 5321 §5.1), a permanent error.
            return .failure(SMTPClientFailure(
                status: .failed, reason: "domain \(domain) has no MX and no address\(settings.ipFamily.restriction)",
                enhancedCode: "5.1.2"))
        case .temporaryFailure(let failure):
            return .failure(SMTPClientFailure(
                status: .deferred, reason: "address lookup for \(domain) failed: \(failure)", enhancedCode: "4.4.3"))
        }
    }

    // MARK: Failures

    /// RFC 3463 X.1.2: "Bad destination system address".
    private static func noSuchDomain(_ domain: String) -> SMTPClientFailure {
        SMTPClientFailure(status: .failed, reason: "domain does not exist: \(domain)", enhancedCode: "5.1.2")
    }

    /// RFC 3463 X.4.6: "Routing loop detected".
    private static func loop(_ domain: String) -> SMTPClientFailure {
        SMTPClientFailure(status: .failed, reason: "mail for \(domain) loops back to myself", enhancedCode: "5.4.6")
    }
}

extension IPFamily {
    /// Whether an address (canonical text) may be dialled under this setting.
    func allows(_ address: String) -> Bool {
        switch self {
        case .any: true
        case .ipv4: !IPAddressText.isIPv6(address)
        case .ipv6: IPAddressText.isIPv6(address)
        }
    }
}
