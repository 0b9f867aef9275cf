import Logging
import MaildirStore
import NIOConcurrencyHelpers
import NIOCore
import SMTPProtocol
import TsubameConfig

/// What every SMTP connection of a server shares.
final class SMTPServerContext: Sendable {
    let configuration: NIOLockedValueBox<TsubameConfiguration>
    let store: MaildirStore
    let resolver: RecipientResolver
    let limiters = ListenerLimiters()
    let logger: Logger
    let tls: TLSContextProvider
    let openChannels = ChannelRegistry()

    init(configuration: NIOLockedValueBox<TsubameConfiguration>, store: MaildirStore,
         resolver: RecipientResolver, tls: TLSContextProvider, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.resolver = resolver
        self.tls = tls
        self.logger = logger
    }

    /// A consistent view of the settings for one connection; SIGHUP affects new connections.
    func snapshot() -> TsubameConfiguration { configuration.withLockedValue { $0 } }
}

extension SMTPSessionConfiguration {
    init(_ config: TsubameConfiguration, tlsMode: TLSMode, tlsLoaded: Bool) {
        self.init(hostname: config.hostname, maximumMessageSize: config.smtp.maxMessageSize,
                  maximumRecipients: config.smtp.maxRecipients, maximumErrors: config.smtp.maxErrors,
                  startTLSAvailable: tlsLoaded && (tlsMode == .optional || tlsMode == .required),
                  tlsRequired: tlsMode == .required, tlsActive: tlsMode == .implicit)
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
