import Logging
import NIOConcurrencyHelpers
import NIOPosix
import TsubameConfig

/// What every POP3 connection of a server shares.
final class POP3ServerContext: Sendable {
    let configuration: LiveConfiguration
    let mailRoot: String
    /// Password checks, on their own threads, with the lockouts and delays of failures.
    let authenticator: Authenticator
    /// Maildir scans, reads, renames and deletions run here.
    let storageThreads: NIOThreadPool
    let limiters = ListenerLimiters()
    let openChannels = ChannelRegistry()
    let tls: TLSContextProvider
    let logger: Logger
    /// Told when POP3 marks messages seen or deletes them, so IMAP sessions see it at once.
    let imapMailStore: SharedIMAPMailStore?

    init(configuration: LiveConfiguration, mailRoot: String,
         authenticator: Authenticator, storageThreads: NIOThreadPool, tls: TLSContextProvider, logger: Logger,
         imapMailStore: SharedIMAPMailStore? = nil) {
        self.imapMailStore = imapMailStore
        self.tls = tls
        self.configuration = configuration
        self.mailRoot = mailRoot
        self.authenticator = authenticator
        self.storageThreads = storageThreads
        self.logger = logger
    }

    func snapshot() -> LiveConfiguration.Snapshot { configuration.snapshot }
}
