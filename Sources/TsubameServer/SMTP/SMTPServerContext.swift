import AccountDirectory
import Logging
import MaildirStore
import NIOConcurrencyHelpers
import NIOCore
import SMTPProtocol
import TsubameConfig

/// What every SMTP connection of a server shares.
final class SMTPServerContext: Sendable {
    let configuration: LiveConfiguration
    let store: MaildirStore
    let resolver: RecipientResolver
    /// The same instance POP3 uses: one throttle, one lockout table, one hashing pool.
    let authenticator: Authenticator
    /// Sender permissions of authenticated sessions (RFC 6409 §4.1).
    let senders: any RecipientDirectory
    let submissionLimiter: SubmissionLimiter
    let limiters = ListenerLimiters()
    let logger: Logger
    let tls: TLSContextProvider
    let openChannels = ChannelRegistry()
    /// SPF/DKIM/DMARC on port 25, DKIM signing of submissions, SRS.
    let authentication: MessageAuthentication

    init(configuration: LiveConfiguration, store: MaildirStore,
         resolver: RecipientResolver, authenticator: Authenticator, senders: any RecipientDirectory,
         submissionLimiter: SubmissionLimiter, tls: TLSContextProvider, logger: Logger,
         authentication: MessageAuthentication = .disabled) {
        self.authentication = authentication
        self.configuration = configuration
        self.store = store
        self.resolver = resolver
        self.authenticator = authenticator
        self.senders = senders
        self.submissionLimiter = submissionLimiter
        self.tls = tls
        self.logger = logger
    }

    /// A consistent view of the settings for one connection; SIGHUP affects new connections.
    func snapshot() -> LiveConfiguration.Snapshot { configuration.snapshot }
}

extension SMTPSessionConfiguration {
    /// `clientIsLoopback`: the peer's address, for `[submission] allow_plaintext = "loopback"`.
    init(_ config: TsubameConfiguration, listener: ListenerName, tlsMode: TLSMode, tlsLoaded: Bool,
         clientIsLoopback: Bool = false) {
        let authentication: Authentication
        switch listener {
        case .submission, .submissions: authentication = .required  // RFC 6409 §4.3
        case .smtp: authentication = config.smtp.auth ? .offered : .notOffered
        case .pop3, .pop3s, .imap, .imaps: authentication = .notOffered
        }
        let plaintextAllowed = config.submission.allowPlaintext.allowsPlaintext(fromLoopback: clientIsLoopback)
        self.init(hostname: config.hostname, maximumMessageSize: config.smtp.maxMessageSize,
                  maximumRecipients: config.smtp.maxRecipients, maximumErrors: config.smtp.maxErrors,
                  startTLSAvailable: tlsLoaded && (tlsMode == .optional || tlsMode == .required),
                  tlsRequired: tlsMode == .required, tlsActive: tlsMode == .implicit,
                  authentication: authentication,
                  // "required": no password before STARTTLS, loopback included.
                  authenticationBeforeTLSAllowed: plaintextAllowed && tlsMode != .required)
        // Mail from other servers arrives on port 25; submission is exempt (it is our users').
        checksMessages = listener == .smtp && config.checks.enabled && !(config.checks.ignoreLoopback && clientIsLoopback)
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}

/// The open connections, so a shutdown whose grace has run out can close them.
final class ChannelRegistry: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) { channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel } }
    func remove(_ channel: any Channel) { channels.withLockedValue { $0[ObjectIdentifier(channel)] = nil } }

    /// Closes every connection still open and waits until they are closed.
    func closeAll() async {
        let open = channels.withLockedValue { Array($0.values) }
        for channel in open {
            try? await channel.close()
        }
    }
}
