import AccountDirectory
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import TsubameConfig

/// What every POP3 connection of a server shares.
final class POP3ServerContext: Sendable {
    let configuration: NIOLockedValueBox<TsubameConfiguration>
    let directory: any AccountDirectory
    let mailRoot: String
    /// Directory lookups and password hashing (slow on purpose) run here.
    let authenticationThreads: NIOThreadPool
    /// Maildir scans, reads, renames and deletions run here.
    let storageThreads: NIOThreadPool
    let limiters = ListenerLimiters()
    let throttle: SharedLoginThrottle
    let openChannels = ChannelRegistry()
    let tls: TLSContextProvider
    let logger: Logger

    init(configuration: NIOLockedValueBox<TsubameConfiguration>, directory: any AccountDirectory, mailRoot: String,
         authenticationThreads: NIOThreadPool, storageThreads: NIOThreadPool, tls: TLSContextProvider, logger: Logger) {
        self.tls = tls
        self.configuration = configuration
        self.directory = directory
        self.mailRoot = mailRoot
        self.authenticationThreads = authenticationThreads
        self.storageThreads = storageThreads
        self.throttle = SharedLoginThrottle(settings: configuration.withLockedValue { $0.auth })
        self.logger = logger
    }

    func snapshot() -> TsubameConfiguration { configuration.withLockedValue { $0 } }
}
