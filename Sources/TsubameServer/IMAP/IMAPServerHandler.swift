import AccountDirectory
import IMAPMailbox
import IMAPProtocol
import Logging
import NIOCore
import ProtocolSupport
import TsubameConfig

/// One IMAP connection: frames commands (`IMAPFramer`), feeds the pure `IMAPSession`, and
/// carries out its actions: checking passwords, opening the account, running mailbox commands
/// piece by piece, streaming large literals to files, IDLE. While an asynchronous step runs, no
/// more input is read (backpressure), so pipelined commands run in order.
final class IMAPServerHandler: LineConnectionHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// About this many octets of a command's responses are produced per storage-thread trip.
    static let pieceBudget = 256 * 1024
    /// Streamed literal octets gathered in memory before a write to their file.
    static let literalWriteSize = 256 * 1024

    let server: IMAPServerContext
    /// Shared with the other connections begun under the same settings (see LiveConfiguration).
    private let settings: LiveConfiguration.Snapshot
    var config: TsubameConfiguration { _read { yield settings.settings } }
    let connection: ConnectionCore
    var session: IMAPSession
    var framer: IMAPFramer
    var input = ByteBuffer()
    var quiesceRequested = false
    var mailbox: MailboxAddress?
    /// SCRAM: the keys looked up for the exchange under way, until its proof is judged.
    var scramLookup: SCRAMLookup?
    /// The logged-in user's mail; closed when the connection ends.
    var account: IMAPAccountSession?
    /// The per-user-and-address slot this login holds (`[imap] max_user_connections_per_ip`).
    var userSlot: String?
    /// The current command's streamed literals: those complete, and the one being received
    /// with its octets not yet written.
    var finishedLiterals: [StreamedLiteralFile] = []
    var literalInProgress: StreamedLiteralFile?
    var literalPending = ByteBuffer()
    var idle: IdleState?
    let tlsMode: TLSMode
    var tlsInfo = TLSSessionInfo()
    var logger: Logger
    /// Whose connection limits apply: `[limits.NAME]`, else `[imap]`'s.
    let listener: ListenerName

    init(server: IMAPServerContext, tlsMode: TLSMode, listener: ListenerName = .imap) {
        self.server = server
        self.tlsMode = tlsMode
        self.listener = listener
        self.settings = server.snapshot()
        self.connection = ConnectionCore(limiter: server.limiters[listener], registry: server.openChannels)
        self.session = IMAPSession(configuration: IMAPSessionConfiguration(plaintextAllowed: false))
        self.framer = IMAPFramer(limits: session.framerLimits)
        self.logger = server.logger
        connection.resume = { [unowned self] context in self.processInput(context: context) }
    }

    var output: ByteBuffer {
        get { connection.output }
        _modify { yield &connection.output }
    }

    func write(_ response: IMAPResponse) {
        output.writeImmutableBuffer(IMAPResponseEncoder.encode(response))
    }

    // MARK: Connection life cycle

    func channelActive(context: ChannelHandlerContext) {
        let refusal = connection.admit(context: context, maximumTotal: config.maximumConnections(for: listener),
                                       maximumPerAddress: config.maximumConnectionsPerIP(for: listener))
        logger[metadataKey: "client"] = "[\(connection.clientAddress)]"
        let plaintextAllowed = config.imap.allowPlaintext.allowsPlaintext(
            fromLoopback: context.remoteAddress.map(POP3ServerHandler.isLoopback) ?? false)
        session = IMAPSession(configuration: IMAPSessionConfiguration(
            maximumErrors: config.imap.maxErrors,
            // "required": no passwords before STARTTLS, loopback included.
            plaintextAllowed: plaintextAllowed && tlsMode != .required,
            starttlsAvailable: server.tls.context != nil && (tlsMode == .optional || tlsMode == .required),
            tlsActive: tlsMode == .implicit,
            appendLimit: config.imap.effectiveAppendLimit(smtp: config.smtp)))
        framer = IMAPFramer(limits: session.framerLimits)
        if let refusal {
            logger.notice("connection refused: \(refusal == .total ? "too many connections" : "too many connections from this address")")
            write(.untagged(.bye(.unavailable, "Too many connections, try again later.")))
            connection.close(context: context)
            return
        }
        write(session.greeting)
        connection.flush(context: context)
        // Before login short; after it at least 30 minutes (RFC 3501 §5.4); IDLE is kept while
        // its keepalives flow (RFC 2177), a dead peer ends it through the failing writes.
        connection.startIdleTimer(context: context, timeout: { [unowned self] in
            // IDLE's keepalives (every 2 minutes, well inside 30) count as activity.
            return .seconds(Int64(session.isAuthenticated ? config.imap.idleTimeout : config.imap.loginTimeout))
        }) { [unowned self] in
            logger.notice("idle timeout; disconnecting")
            write(.untagged(.bye(nil, "Disconnected for inactivity.")))
            connection.close(context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.connectionClosed(context: context)
        let idleTrip = pendingIdleTrip ?? context.eventLoop.makeSucceededVoidFuture()
        stopIdleTimers()
        idle = nil
        discardLiterals()
        if let userSlot {
            server.userConnections.release(userSlot)
            self.userSlot = nil
        }
        if let account {
            self.account = nil
            // Leaves the selected mailbox without expunging (RFC 3501 §6.1.3 is for LOGOUT
            // alone; CLOSE would expunge). Blocking: on a storage thread.
            let storageThreads = server.storageThreads
            idleTrip.whenComplete { _ in
                storageThreads.submit { _ in
                    account.unwatch()
                    account.close()
                }
            }
        }
        context.fireChannelInactive()
    }

    // MARK: Input

    func processInput(context: ChannelHandlerContext) {
        while !connection.isWaiting && !connection.isClosing {
            framer.deliversBlankLines = session.expectsSASLResponse
            // Between commands the bounds follow the state (higher once logged in; the login
            // itself completes asynchronously, so this is checked before every event).
            if framer.isAtCommandStart { framer.limits = session.framerLimits }
            guard let event = framer.next(from: &input) else { break }
            switch event {
            case .frame(let frame):
                let action = session.receive(frame)
                // Streamed literals belong to the mailbox command they came with; a command
                // refused here (BAD, wrong state) leaves files nobody will take.
                if case .runMailboxCommand = action {} else { discardLiterals() }
                perform(action, context: context)
            case .needsContinuation:
                // The framer checked the size against the limits of the state we are in.
                output.writeStaticString("+ Ready for literal data\r\n")
            case .literalBytes(let bytes):
                receiveLiteralBytes(bytes, context: context)
            case .refused(let error, let tag):
                discardLiterals()
                perform(session.receiveRefusal(error, tag: tag), context: context)
            case .fatal(let error, let tag):
                discardLiterals()
                logger.notice("unreadable command stream; disconnecting", metadata: ["error": "\(error.text)"])
                perform(session.receiveFatal(error, tag: tag), context: context)
            }
        }
        closeIfQuiescing(context: context)
        connection.compact(&input)
        connection.flush(context: context)
        connection.resumeReading(context: context)
    }

    func perform(_ action: IMAPSession.Action, context: ChannelHandlerContext) {
        switch action {
        case .send(let responses):
            responses.forEach(write)
        case .continueSASL(let challenge):
            // RFC 3501 §6.2.2: "+" SP base64; an empty challenge is "+ " alone.
            write(.continuation(Base64.encode(challenge)))
        case .startTLS(let response):
            startTLS(response, context: context)
        case .verifyCredentials(let user, let password, let method):
            verify(user: user, password: password, method: method, context: context)
        case .lookUpSCRAMCredentials(let user):
            lookUpSCRAM(user: user, context: context)
        case .finishSCRAM(let user, let proofVerified):
            finishSCRAM(user: user, proofVerified: proofVerified, context: context)
        case .openAccount:
            openAccount(context: context)
        case .runMailboxCommand(let command):
            runMailboxCommand(command, context: context)
        case .startIdle(let response):
            startIdle(response, context: context)
        case .finishIdle(let response):
            finishIdle(response, context: context)
        case .close(let responses):
            if session.errorCount >= session.configuration.maximumErrors {
                logger.notice("too many errors; disconnecting")
            }
            responses.forEach(write)
            connection.close(context: context)
        }
    }

    /// RFC 3501 §6.2.1: the tagged OK in plaintext, then TLS before anything more is read.
    /// Bytes pipelined behind STARTTLS are never executed: the connection closes (the class of
    /// CVE-2011-0411; Courier CVE-2021-38084 for IMAP).
    private func startTLS(_ response: IMAPResponse, context: ChannelHandlerContext) {
        guard input.readableBytes == 0, framer.isAtCommandStart else {
            logger.notice("data pipelined after STARTTLS (command injection); disconnecting")
            input.clear()
            connection.close(context: context)
            return
        }
        guard let tlsContext = server.tls.context else { preconditionFailure("STARTTLS offered without TLS") }
        write(response)
        connection.flush(context: context)
        do {
            try context.pipeline.syncOperations.addServerTLS(tlsContext)
        } catch {
            logger.error("cannot start TLS: \(error)")
            connection.close(context: context)
            return
        }
        session = session.afterTLSHandshake()
        framer = IMAPFramer(limits: session.framerLimits)
    }

    // MARK: Closing

    /// Shutdown: a command being answered finishes first; IDLE and a waiting session get BYE.
    func closeIfQuiescing(context: ChannelHandlerContext) {
        guard quiesceRequested, !connection.isWaiting, !connection.isClosing else { return }
        write(.untagged(.bye(nil, "Server shutting down.")))
        connection.close(context: context)
    }
}
