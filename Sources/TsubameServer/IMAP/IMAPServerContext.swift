import IMAPMailbox
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import TsubameConfig

/// What every IMAP connection of a server shares.
final class IMAPServerContext: Sendable {
    let configuration: LiveConfiguration
    let mailRoot: String
    /// The same authenticator as POP3 and SMTP: one throttle and one lockout table.
    let authenticator: Authenticator
    /// Account opening, mailbox commands, streamed literals and IDLE's updates run here.
    let storageThreads: NIOThreadPool
    /// The server's one mail store (`TsubameServer.imapMailStore`).
    let mailStore: SharedIMAPMailStore
    let limiters = ListenerLimiters()
    /// Logged-in connections per user and client address (`[imap] max_user_connections_per_ip`).
    let userConnections = ConnectionLimiter()
    let openChannels = ChannelRegistry()
    let tls: TLSContextProvider
    let logger: Logger

    init(configuration: LiveConfiguration, mailRoot: String, authenticator: Authenticator,
         storageThreads: NIOThreadPool, mailStore: SharedIMAPMailStore, tls: TLSContextProvider, logger: Logger) {
        self.configuration = configuration
        self.mailRoot = mailRoot
        self.authenticator = authenticator
        self.storageThreads = storageThreads
        self.mailStore = mailStore
        self.tls = tls
        self.logger = logger
    }

    func snapshot() -> LiveConfiguration.Snapshot { configuration.snapshot }
}

/// The process's one `IMAPMailStore` (one owner per open folder, shared by every IMAP session,
/// and later by delivery and POP3): made on first use, on a storage thread, so a server whose
/// users never log in over IMAP does no IMAP work at all. The integrator hands `store` to the
/// delivery path (`noteDelivery`) and POP3 (`noteChange`).
public final class SharedIMAPMailStore: Sendable {
    public let configuration: IMAPMailConfiguration
    private let made = NIOLockedValueBox<IMAPMailStore?>(nil)

    public init(configuration: IMAPMailConfiguration) {
        self.configuration = configuration
    }

    /// The store, made at the first call.
    public var store: IMAPMailStore {
        made.withLockedValue { made in
            if let made { return made }
            let store = IMAPMailStore(configuration: configuration)
            made = store
            return store
        }
    }

    /// The store if something has made it already (delivery need not wake one up).
    public var storeIfMade: IMAPMailStore? { made.withLockedValue { $0 } }
}
