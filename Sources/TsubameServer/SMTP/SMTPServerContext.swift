import Logging
import MaildirStore
import NIOConcurrencyHelpers
import SMTPProtocol
import TsubameConfig

/// What every SMTP connection of a server shares.
final class SMTPServerContext: Sendable {
    let configuration: NIOLockedValueBox<TsubameConfiguration>
    let store: MaildirStore
    let resolver: RecipientResolver
    let limiter: ConnectionLimiter
    let logger: Logger

    init(configuration: NIOLockedValueBox<TsubameConfiguration>, store: MaildirStore,
         resolver: RecipientResolver, limiter: ConnectionLimiter, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.resolver = resolver
        self.limiter = limiter
        self.logger = logger
    }

    /// A consistent view of the settings for one connection; SIGHUP affects new connections.
    func snapshot() -> TsubameConfiguration { configuration.withLockedValue { $0 } }
}

extension SMTPSessionConfiguration {
    init(_ config: TsubameConfiguration) {
        self.init(hostname: config.hostname, maximumMessageSize: config.smtp.maxMessageSize,
                  maximumRecipients: config.smtp.maxRecipients, maximumErrors: config.smtp.maxErrors)
    }
}
