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

    public init(resolver: DNSResolver, settings: OutboundSettings,
                shuffle: @escaping @Sendable ([DeliveryHost]) -> [DeliveryHost] = { $0.shuffled() }) {
        self.resolver = resolver
        self.settings = settings
        self.shuffle = shuffle
    }

    /// At most `settings.maximumHosts` hosts, each with at least one address of the allowed family.
    public func route(for domain: String) async -> Result<[DeliveryHost], SMTPClientFailure> {
        fatalError("RouteSelector.route is built by the route helper")
    }
}
