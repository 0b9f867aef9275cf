import SMTPProtocol

/// Which address families the client dials (`[delivery] ip_family`). Gmail refuses mail over
/// IPv6 from addresses without reverse DNS, so a site without it sends over IPv4 only.
public enum IPFamily: String, Sendable, Equatable, CaseIterable {
    case any, ipv4, ipv6
}

/// A smarthost (`[delivery] relay_host`, RFC 6409): every remote message goes there, with
/// STARTTLS (implicit TLS on port 465, RFC 8314 §3.3), AUTH, and the certificate verified.
public struct Smarthost: Sendable, Equatable {
    public var hop: NextHop
    /// nil: no AUTH (a relay that trusts our address).
    public var credentials: SMTPClientCredentials?

    public init(hop: NextHop, credentials: SMTPClientCredentials? = nil) {
        self.hop = hop
        self.credentials = credentials
    }

    /// RFC 8314 §3.3: port 465 is TLS from the first byte.
    public var implicitTLS: Bool { hop.port == 465 }
}

/// Where mail for a domain goes, how it is protected, and how the client behaves: everything
/// the scheduler, the route selector and the client glue read. Made by the server from
/// `[delivery]`, `[delivery.tls]`, `[delivery.routes]` and `[queue]`.
public struct OutboundSettings: Sendable, Equatable {
    /// The EHLO name (RFC 5321 §4.1.1.1), also the DSN's Reporting-MTA and loop detection's "us".
    public var heloName: String
    /// The port MX hosts are dialled on (`[delivery] smtp_port`, 25; other values are for tests).
    public var smtpPort: Int = 25
    public var ipFamily: IPFamily = .any
    public var smarthost: Smarthost?
    /// `[delivery.routes]`: per-domain next hop, keys lowercased. A domain listed here is
    /// sent there even when a smarthost is set.
    public var routes: [String: NextHop] = [:]
    /// `[delivery.tls] policy`.
    public var tlsPolicy: SMTPClientTLSPolicy = .may
    /// `[delivery.tls.domains]`: per destination domain, keys lowercased.
    public var tlsPolicyByDomain: [String: SMTPClientTLSPolicy] = [:]
    /// `[delivery.tls] ca_file`: PEM roots trusted besides the system's, for `verify` (two
    /// Tsubame sites that trust each other's private CA). nil: the system's only.
    public var caFile: String?
    public var connectTimeout: Duration = .seconds(30)
    /// `[delivery] suspended`: the scheduler claims nothing and reports nothing.
    public var suspended = false
    /// `[queue] concurrency`: connections open at once, over all destinations.
    public var concurrency = 20
    /// `[queue] concurrency_per_domain`.
    public var concurrencyPerDomain = 4
    /// Recipients of one message for one domain in one transaction.
    public var recipientsPerTransaction = 50
    /// RFC 5321 §5.1 and Postfix's smtp_mx_address_limit: hosts tried per attempt.
    public var maximumHosts = 5
    /// Names and SMTP listening endpoints of this server: an MX that is one of them loops.
    public var localIdentity = LocalIdentity()

    public init(heloName: String) { self.heloName = heloName }

    /// The TLS policy for a destination domain: its override, else the default.
    public func tlsPolicy(for domain: String) -> SMTPClientTLSPolicy {
        tlsPolicyByDomain[domain.lowercased()] ?? tlsPolicy
    }
}

/// What "this server" is, for RFC 5321 §5.1's loop rule: an MX host named as we are, or an
/// address and port one of our SMTP listeners is bound to (a wildcard bind matches any local
/// address, loopback included).
public struct LocalIdentity: Sendable, Equatable {
    /// Our host names, lowercased, without a trailing dot.
    public var names: Set<String> = []
    /// Our SMTP (port 25 role) listeners' bind addresses: "0.0.0.0", "::", "127.0.0.1", …
    public var listeners: [LocalEndpoint] = []

    public init(names: Set<String> = [], listeners: [LocalEndpoint] = []) {
        self.names = names
        self.listeners = listeners
    }
}

public struct LocalEndpoint: Sendable, Equatable, Hashable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
