/// Everything in tsubame.toml, typed, with the defaults `tsubame init` writes.
public struct TsubameConfiguration: Sendable, Equatable {
    /// The server's name in the SMTP greeting and Received headers.
    public var hostname = "localhost"
    /// The domain `<Postmaster>` belongs to (RFC 5321 §4.5.1), set by `init --domain`; empty in
    /// data folders made before it existed, which means the domain added first.
    public var primaryDomain = ""
    /// Listener name to address; only names in `ListenerName`.
    public var listeners: [ListenerName: ListenAddress] = [.smtp: ListenAddress(host: "0.0.0.0", port: 25)]
    public var smtp = SMTPSettings()
    public var pop3 = POP3Settings()
    public var imap = IMAPSettings()
    public var submission = SubmissionSettings()
    public var auth = AuthSettings()
    /// A listener's own connection limits, where `[limits.NAME]` sets them (see `ListenerLimits`).
    public var listenerLimits: [ListenerName: ListenerLimits] = [:]
    public var tls = TLSSettings()
    public var server = ServerSettings()
    public var log = LogSettings()
    public var delivery = DeliveryConfiguration()
    public var queue = QueueConfiguration()
    public var dns = DNSConfiguration()
    public var checks = InboundChecksConfiguration()
    public var dkim = DKIMConfiguration()
    public var srs = SRSConfiguration()

    public init() {}
}

public struct SMTPSettings: Sendable, Equatable {
    public var maxMessageSize = 52_428_800
    public var maxRecipients = 100
    public var maxConnections = 1000
    public var maxConnectionsPerIP = 50
    public var maxErrors = 10
    public var commandTimeout = 300
    public var dataTimeout = 600
    public var plusAddressing = true
    public var recipientDelimiter = "+"
    /// Offer SMTP AUTH on the `smtp` listener (port 25, the MX) too. Off: port 25 is for other
    /// servers; users submit on 587/465 (RFC 6409).
    public var auth = false

    public init() {}
}

/// `[submission]`: what authenticated users may do on `submission` (587) and `submissions`
/// (465), and `smtp` when `[smtp] auth` is on.
public struct SubmissionSettings: Sendable, Equatable {
    /// Where AUTH may be used before TLS: as `[pop3] allow_plaintext`.
    public var allowPlaintext = PlaintextPolicy.loopback
    /// Per account, counted over the last hour; beyond: 450 4.7.1. A stolen password cannot
    /// send a flood.
    public var maxMessagesPerHour = 200
    public var maxRecipientsPerMessage = 100
    public var maxRecipientsPerHour = 1000

    public init() {}
}

public struct POP3Settings: Sendable, Equatable {
    public var maxConnections = 1000
    public var maxConnectionsPerIP = 20
    public var maxErrors = 10
    public var idleTimeout = 600
    public var allowPlaintext = PlaintextPolicy.loopback

    public init() {}
}

/// `[imap]`: the imap (143) and imaps (993) listeners.
public struct IMAPSettings: Sendable, Equatable {
    /// A connection holds an open mailbox and often IDLEs for hours: more of them than POP3's.
    public var maxConnections = 1000
    public var maxConnectionsPerIP = 50
    /// Logged-in connections of one user from one client address (Dovecot's
    /// mail_max_userip_connections, 10): a phone and a desktop with several folders open fit.
    public var maxUserConnectionsPerIP = 10
    public var maxErrors = 20
    /// Seconds a logged-in session may stay idle: RFC 3501 §5.4 asks for at least 30 minutes.
    /// IDLE is not subject to it while its keepalives flow.
    public var idleTimeout = 1800
    /// Seconds before login: short, as Dovecot's imap-login (it cuts idle clients after 60 s
    /// when it needs the slot; 180 s here).
    public var loginTimeout = 180
    public var allowPlaintext = PlaintextPolicy.loopback
    /// APPENDLIMIT (RFC 7889) in octets; 0: the SMTP size limit, `[smtp] max_message_size`.
    public var appendLimit = 0

    /// The largest message APPEND accepts.
    public func effectiveAppendLimit(smtp: SMTPSettings) -> Int {
        appendLimit > 0 ? appendLimit : smtp.maxMessageSize
    }

    public init() {}
}

/// Where passwords may travel unencrypted (USER/PASS, AUTH PLAIN) before TLS exists on a
/// connection (RFC 2595 §2.2, RFC 8314 §5).
public enum PlaintextPolicy: String, Sendable, Equatable, CaseIterable {
    case never, loopback, always

    /// Whether a client on loopback (or not) may send a password before TLS.
    public func allowsPlaintext(fromLoopback: Bool) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .loopback: return fromLoopback
        }
    }
}

/// Failed logins, counted per client network (an IPv4 address or an IPv6 /64): a delay that
/// doubles with each consecutive failure, and lockouts of that network, from every account or
/// from one. Failures for an account from anywhere only slow further failures for it; an
/// account is never locked for everyone.
public struct AuthSettings: Sendable, Equatable {
    public var failureDelayMilliseconds = 500
    public var maxFailureDelayMilliseconds = 8000
    /// Failures from one client network, whatever the accounts, that lock it out of all.
    public var lockoutFailures = 10
    /// Failures for one account from one client network that lock it out of that account.
    public var lockoutFailuresPerAccount = 5
    public var lockoutSeconds = 300
    /// The first delay for a failure on an account that failed recently from any network.
    public var accountFailureDelayMilliseconds = 100
    /// Password checks queued or running at once; more are refused at once as busy.
    public var maxPending = 64
    /// How long a successful password check counts for the same password (Dovecot's
    /// auth_cache_ttl is an hour too); 0 checks every login in full.
    public var cacheSeconds = 3600
    /// Successful checks remembered at most.
    public var cacheSize = 10_000

    public init() {}
}

/// How a listener uses TLS: STARTTLS/STLS offered or demanded, or TLS from the first byte
/// (RFC 3207, RFC 2595, RFC 8314).
public enum TLSMode: String, Sendable, Equatable, CaseIterable {
    case none, optional, required, implicit
}

public struct TLSSettings: Sendable, Equatable {
    /// PEM files, relative to the data folder unless absolute: the chain (leaf first) and its key.
    public var certificate = "tls/server-chain.pem"
    public var key = "tls/server-key.pem"
    /// More certificates, chosen by the name a client asks for (SNI, RFC 6066 §3): one folder per
    /// certificate holding chain.pem and key.pem; the names come from each certificate's SANs.
    public var sniDirectory = "tls/sni"
    /// Where clients can fetch the private CA's CRL (http:// or https://); when set, issued
    /// certificates carry it in a CRL Distribution Points extension (RFC 5280 §4.2.1.13).
    public var crlURL = ""
    /// "1.2" or "1.3": the oldest TLS version the listeners accept.
    public var minimumVersion = "1.2"
    public var modes: [ListenerName: TLSMode] = [
        .smtp: .optional, .submission: .required, .submissions: .implicit, .pop3: .optional, .pop3s: .implicit,
        .imap: .optional, .imaps: .implicit,
    ]

    public init() {}

    public func mode(for listener: ListenerName) -> TLSMode { modes[listener] ?? .none }
}

public struct ServerSettings: Sendable, Equatable {
    public var shutdownGrace = 30
    public var storageThreads = 16
    /// The system user `serve` becomes after binding its listeners when started as root; empty: none.
    public var user = ""
    /// That user's group; empty: the user's primary group.
    public var group = ""

    public init() {}
}

public struct LogSettings: Sendable, Equatable {
    public var level = "info"

    public init() {}

    public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}
