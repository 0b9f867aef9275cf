/// `[delivery]`, `[delivery.tls]`, `[delivery.routes]`: how remote mail leaves. Strings stay as
/// written (validated by the loader); the server turns them into `OutboundSettings`.
public struct DeliveryConfiguration: Sendable, Equatable {
    /// The EHLO name; empty: `hostname`.
    public var heloName = ""
    /// The port MX hosts are dialled on; other values than 25 are for tests.
    public var smtpPort = 25
    /// "any", "ipv4" or "ipv6".
    public var ipFamily = "any"
    /// "host:port" or "[address]:port" of a smarthost; empty: MX delivery.
    public var relayHost = ""
    public var relayUsername = ""
    /// A file (mode 0600, owned by the server's user) holding the smarthost password on its
    /// first line; relative to the data folder.
    public var relayPasswordFile = ""
    /// Nothing is sent while true: messages stay queued (`tsubame queue list`).
    public var suspended = false
    /// Seconds to wait for a TCP connection to a peer.
    public var connectTimeout = 30
    /// Domain (lowercased) to next hop, as relayHost is written.
    public var routes: [String: String] = [:]
    /// "none", "may", "encrypt", "verify".
    public var tlsPolicy = "may"
    /// Domain (lowercased) to policy.
    public var tlsPolicyByDomain: [String: String] = [:]
    /// PEM file of extra roots for "verify"; relative to the data folder; empty: the system's.
    public var tlsCAFile = ""

    public init() {}
}

/// `[queue]`: how long, how often, how many at once. Times in seconds.
public struct QueueConfiguration: Sendable, Equatable {
    /// RFC 5321 §4.5.4.1: give up after 4–5 days.
    public var maxLifetime = 5 * 24 * 3600
    public var delayWarning = 4 * 3600
    /// The first retry comes this long after the first attempt, then doubling.
    public var firstRetry = 5 * 60
    public var maxRetryInterval = 3600
    public var concurrency = 20
    public var concurrencyPerDomain = 4

    public init() {}
}

/// `[dns]`: the recursive resolvers to ask; empty: those in /etc/resolv.conf.
public struct DNSConfiguration: Sendable, Equatable {
    /// "127.0.0.1", "127.0.0.1:5353", "[::1]:53".
    public var nameservers: [String] = []

    public init() {}
}
