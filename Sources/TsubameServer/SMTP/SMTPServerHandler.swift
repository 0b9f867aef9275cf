import AccountDirectory
import MailAuthentication
import Logging
import NIOCore
import ProtocolSupport
import SMTPProtocol
import TsubameConfig

/// One SMTP connection: frames the byte stream, feeds the pure `SMTPSession`, and carries out
/// what it asks (directory lookups, streaming content to the store, replies).
///
/// Backpressure: while an asynchronous step runs (a lookup, a write, a commit) no further
/// reads are requested, so buffers stay bounded whatever the client sends.
final class SMTPServerHandler: LineConnectionHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Content is spilled to the spool file in pieces of about this size.
    private static let spillThreshold = 256 * 1024

    let server: SMTPServerContext
    /// Shared with the other connections begun under the same settings (see LiveConfiguration).
    private let settings: LiveConfiguration.Snapshot
    var config: TsubameConfiguration { _read { yield settings.settings } }
    let connection: ConnectionCore
    var session: SMTPSession<ResolvedRecipient>
    /// RFC 4954 §4: AUTH lines and SASL responses may be 12,288 octets; `SMTPLineLimits`
    /// holds other commands to RFC 5321's 512 after framing.
    private var framer = CommandLineFramer(maximumLineLength: SMTPLineLimits.framerLimit)
    /// The account AUTH verified (the session keeps its name), for sender checks.
    var authenticatedMailbox: MailboxAddress?
    /// SCRAM: the keys looked up for the exchange in progress.
    var scramLookup: SCRAMLookup?
    /// The login name of the exchange in progress, as the client gave it (for the log).
    var authenticatingUsername: String?
    private let tlsMode: TLSMode
    var input = ByteBuffer()
    var transfer: MessageTransfer?
    var quiesceRequested = false
    var tlsInfo = TLSSessionInfo()
    var logger: Logger

    /// Whose connection limits apply: `[limits.NAME]`, else `[smtp]`'s.
    private let listener: ListenerName

    init(server: SMTPServerContext, tlsMode: TLSMode, listener: ListenerName = .smtp) {
        self.server = server
        self.listener = listener
        self.tlsMode = tlsMode
        self.settings = server.snapshot()
        self.connection = ConnectionCore(limiter: server.limiters[listener], registry: server.openChannels)
        self.session = SMTPSession(configuration: SMTPSessionConfiguration(
            settings.settings, listener: listener, tlsMode: tlsMode, tlsLoaded: server.tls.context != nil))
        self.logger = server.logger
        connection.resume = { [unowned self] context in self.processInput(context: context) }
    }

    // MARK: Connection life cycle

    func channelActive(context: ChannelHandlerContext) {
        let refusal = connection.admit(context: context, maximumTotal: config.maximumConnections(for: listener),
                                       maximumPerAddress: config.maximumConnectionsPerIP(for: listener))
        logger[metadataKey: "client"] = "[\(connection.clientAddress)]"
        // The plaintext policy depends on the peer, known only now.
        session = SMTPSession(configuration: SMTPSessionConfiguration(
            config, listener: listener, tlsMode: tlsMode, tlsLoaded: server.tls.context != nil,
            clientIsLoopback: SMTPSessionConfiguration.isLoopback(context.remoteAddress)))
        if let refusal {
            logger.notice("connection refused: \(refusal == .total ? "too many connections" : "too many connections from this address")")
            send(.tooManyConnections(hostname: config.hostname))
            connection.close(context: context)
            return
        }
        logger.debug("connect")
        send(.greeting(hostname: config.hostname))
        connection.flush(context: context)
        connection.startIdleTimer(context: context, timeout: { [unowned self] in currentTimeout }) { [unowned self] in
            logger.notice("timeout; disconnecting", metadata: ["phase": "\(session.phase)"])
            discardTransfer(context: context)
            send(.timeout(hostname: config.hostname))
            connection.close(context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.connectionClosed(context: context)
        if transfer != nil {
            // Disconnected in the middle of a message: nothing was acknowledged, nothing stays.
            logger.notice("lost connection during message transfer; message discarded")
            discardTransfer(context: context)
        }
        logger.debug("disconnect")
        context.fireChannelInactive()
    }

    // MARK: Input

    func processInput(context: ChannelHandlerContext) {
        loop: while !connection.isWaiting && !connection.isClosing {
            switch session.expectedInput {
            case .nothing:
                break loop

            case .commands:
                guard let event = framer.next(from: &input) else { break loop }
                let action: SMTPSession<ResolvedRecipient>.Action
                switch event {
                case .line(let line) where !SMTPLineLimits.permits(line, saslResponse: false):
                    action = session.receiveLineTooLong()
                case .line(let line):
                    // What is already buffered behind the line was sent before our reply to it:
                    // fine for commands, not for DATA's content (RFC 2920 §3.1).
                    action = session.receive(SMTPCommandParser.parse(line), inputPending: input.readableBytes > 0)
                case .lineTooLong:
                    action = session.receiveLineTooLong()
                case .bareLineEnding:
                    action = session.receiveBareLineEnding()
                }
                perform(action, context: context)

            case .saslResponse:
                guard let event = framer.next(from: &input) else { break loop }
                switch event {
                case .line(let line): perform(session.saslResponse(line), context: context)
                case .lineTooLong: perform(session.saslResponseTooLong(), context: context)
                case .bareLineEnding: perform(session.saslResponseBareLineEnding(), context: context)
                }

            case .dotTerminatedContent:
                guard let transfer else { preconditionFailure("DATA without a transfer") }
                guard transfer.decodeDotTerminated(&input) else {
                    spillIfNeeded(context: context)
                    break loop
                }
                perform(session.contentEnded(problems: transfer.problems), context: context)

            case .chunk(let remaining, let last):
                guard let transfer else { preconditionFailure("BDAT without a transfer") }
                let consumed = transfer.decodeChunk(&input, limit: remaining)
                guard consumed == remaining else {
                    session.chunkOctetsRead(consumed)
                    spillIfNeeded(context: context)
                    break loop
                }
                if last { transfer.finishChunks() }
                perform(session.chunkEnded(problems: transfer.problems), context: context)

            case .skippedChunk(let remaining):
                // Read only to stay in step with the client (RFC 3030 §2).
                let consumed = min(remaining, input.readableBytes)
                input.moveReaderIndex(forwardBy: consumed)
                guard consumed == remaining else {
                    session.chunkOctetsRead(consumed)
                    break loop
                }
                perform(session.chunkEnded(problems: []), context: context)
            }
        }
        closeIfQuiescing(context: context)
        connection.compact(&input)
        connection.flush(context: context)
        connection.resumeReading(context: context)
    }

    func perform(_ action: SMTPSession<ResolvedRecipient>.Action, context: ChannelHandlerContext) {
        switch action {
        case .reply(let reply):
            send(reply)
        case .close(let reply):
            if reply.code == 421 { logger.notice("too many errors; disconnecting") }
            if reply == .synchronizationError {
                logger.notice("SMTP protocol synchronization error: data sent before the 354 reply; disconnecting")
            }
            send(reply)
            connection.close(context: context)
        case .verifyRecipient(let mailbox):
            verifyRecipient(mailbox, context: context)
        case .startData(let reply):
            send(reply)
            beginTransfer(framing: .dotTerminated, context: context)
        case .readChunk(_, _, let accepted):
            // The first chunk of a transaction starts its transfer; every end of a chunked
            // transaction (store, discardContent, close) removes it again.
            if accepted && transfer == nil { beginTransfer(framing: .chunked, context: context) }
        case .store(let envelope):
            commit(envelope, context: context)
        case .startTLS(let reply):
            startTLS(reply, context: context)
        case .discardContent(let reply):
            if let transfer {
                logger.notice("message rejected", metadata: transfer.logMetadata(result: reply.description))
            }
            discardTransfer(context: context)
            send(reply)
        case .verifyPassword(let mechanism, let username, let password):
            verifyPassword(mechanism, username: username, password: password, context: context)
        case .lookUpCredentials(let username):
            lookUpCredentials(username: username, context: context)
        case .finishSCRAM(let username, let proofVerified):
            finishSCRAM(username: username, proofVerified: proofVerified, context: context)
        case .authenticated(let reply, _, let mechanism):
            logLogin(mechanism)
            send(reply)
        case .authenticationFailed(let failure, let then):
            logFailedAuthentication(failure)
            perform(then, context: context)
        case .authorizeSender(_, let reversePath):
            authorizeSender(reversePath, context: context)
        case .checkHeaderSenders:
            checkHeaderSenders(context: context)
        case .checkMessage:
            checkMessage(context: context)
        }
    }

    // MARK: Asynchronous steps

    private func verifyRecipient(_ mailbox: SMTPMailbox, context: ChannelHandlerContext) {
        let delimiter = config.smtp.plusAddressing ? config.smtp.recipientDelimiter : nil
        let lookup: EventLoopFuture<RecipientVerdict<ResolvedRecipient>>
        if let account = session.authenticatedAccount {
            let recipients = session.envelope?.recipients.count ?? 0
            let limiter = server.submissionLimiter
            // Only a recipient that would be accepted counts against the account's limits: an
            // unknown local user refused with 550 uses up nothing.
            lookup = server.resolver.verdict(for: mailbox, recipientDelimiter: delimiter, on: context.eventLoop)
                .map { Self.relayingForAuthenticatedUser($0, mailbox) }
                .map { verdict in
                    guard case .accept = verdict else { return verdict }
                    let admitted = limiter.admitRecipient(account: account, recipientsInMessage: recipients,
                                                          now: NIODeadline.now().uptimeNanoseconds)
                    return admitted ? verdict : .recipientLimitReached
                }
        } else {
            lookup = server.resolver.verdict(for: mailbox, recipientDelimiter: delimiter, on: context.eventLoop)
        }
        connection.continueAfter(lookup, context: context) { result in
            let verdict = (try? result.get()) ?? .temporaryFailure
            if case .accept = verdict {} else {
                self.logger.notice("recipient rejected", metadata: [
                    "from": "\(self.session.envelope?.reversePath.description ?? "")", "to": "<\(mailbox)>",
                    "verdict": "\(verdict)", "helo": "\(self.session.greeting?.name ?? "")",
                ])
            }
            self.perform(self.session.recipientVerdict(verdict), context: context)
        }
    }

    /// RFC 3207 §4.2: the 220 goes out in plaintext, then TLS starts before anything more is
    /// read, and the session starts over. Bytes already sent behind STARTTLS would be executed
    /// inside the TLS session if kept (CVE-2011-0411): the connection is closed instead.
    private func startTLS(_ reply: SMTPReply, context: ChannelHandlerContext) {
        guard input.readableBytes == 0 else {
            logger.notice("data pipelined after STARTTLS (command injection); disconnecting")
            input.clear()
            connection.close(context: context)
            return
        }
        guard let tlsContext = server.tls.context else { preconditionFailure("STARTTLS offered without TLS") }
        send(reply)
        connection.flush(context: context)
        do {
            try context.pipeline.syncOperations.addServerTLS(tlsContext)
        } catch {
            logger.error("cannot start TLS: \(error)")
            connection.close(context: context)
            return
        }
        session = session.afterTLSHandshake()
        authenticatedMailbox = nil
        scramLookup = nil
        framer = CommandLineFramer(maximumLineLength: SMTPLineLimits.framerLimit)
    }

    /// An authenticated user may address any domain (RFC 6409 §1): a domain that is not local
    /// is a remote recipient, queued durably before the 250 as remote alias targets are.
    /// Unauthenticated sessions keep the relay refusal (554 5.7.1) on every listener.
    static func relayingForAuthenticatedUser(_ verdict: RecipientVerdict<ResolvedRecipient>,
                                             _ mailbox: SMTPMailbox) -> RecipientVerdict<ResolvedRecipient> {
        guard case .relayDenied = verdict else { return verdict }
        return .accept(ResolvedRecipient(mailboxes: [], remoteAddresses: ["\(mailbox)"]))
    }

    private func beginTransfer(framing: MessageContentDecoder.Framing, context: ChannelHandlerContext) {
        guard let envelope = session.envelope, let greeting = session.greeting else {
            preconditionFailure("content without an envelope")
        }
        let authentication = server.authentication
        var dkim: DKIMContentScanner.Purpose?
        var ownAuthservID: String?
        if session.authenticatedAccount != nil {
            if authentication.signingKeys != nil { dkim = .signing }
        } else if session.configuration.checksMessages, let inbound = authentication.inbound {
            dkim = .verifying(maximumSignatures: inbound.maximumSignatures)
            ownAuthservID = inbound.authservID
        }
        transfer = MessageTransfer(
            envelope: envelope, greeting: greeting, protocolName: session.protocolName,
            clientAddress: connection.clientAddress, tls: tlsInfo.summary, config: config, store: server.store, framing: framing,
            allocator: context.channel.allocator, account: session.authenticatedAccount,
            dkim: dkim, ownAuthservID: ownAuthservID, srs: authentication.srs?.rewriter)
    }

    /// Moves received content to the spool file once enough has gathered, pausing input.
    private func spillIfNeeded(context: ChannelHandlerContext) {
        guard let transfer, transfer.bufferedBytes >= Self.spillThreshold else { return }
        connection.continueAfter(transfer.spill(on: context.eventLoop), context: context) { _ in }
    }

    private func commit(_ envelope: SMTPEnvelope<ResolvedRecipient>, context: ChannelHandlerContext) {
        guard let transfer else { preconditionFailure("store without a transfer") }
        // From here the store owns the message: a disconnect no longer discards it.
        self.transfer = nil
        if session.authenticatedAccount != nil { sign(transfer) }
        let committing = transfer.commit(on: context.eventLoop)
        committing.assumeIsolated().whenComplete { result in
            // Logged whether or not the client is still there to hear the answer.
            switch result {
            case .success: self.logger.info("accepted", metadata: transfer.logMetadata(result: SMTPReply.accepted(id: transfer.id).description))
            case .failure(let error):
                self.logger.error("storage failed: \(error)", metadata: transfer.logMetadata(result: SMTPReply.storageFailed.description))
            }
        }
        connection.continueAfter(committing, context: context) { result in
            let outcome: Result<String, SMTPSession<ResolvedRecipient>.StorageFailure> =
                result.map { _ in transfer.id }.mapError { _ in .init() }
            self.perform(self.session.storageCompleted(outcome), context: context)
        }
    }

    private func discardTransfer(context: ChannelHandlerContext) {
        transfer?.discard(on: context.eventLoop)
        transfer = nil
    }

    // MARK: Output and closing

    func send(_ reply: SMTPReply) {
        connection.output.writeSMTPReply(reply)
    }

    /// Graceful shutdown: idle sessions get 421 now; a message in transfer finishes first.
    func closeIfQuiescing(context: ChannelHandlerContext) {
        guard quiesceRequested, !session.isInMessageTransfer, !connection.isWaiting, !connection.isClosing else { return }
        logger.debug("closing for shutdown")
        send(.shuttingDown(hostname: config.hostname))
        connection.close(context: context)
    }

    // MARK: Timeouts (RFC 5321 §4.5.3.2)

    private var currentTimeout: TimeAmount {
        switch session.expectedInput {
        case .commands, .nothing: return .seconds(Int64(config.smtp.commandTimeout))
        case .dotTerminatedContent, .chunk, .skippedChunk: return .seconds(Int64(config.smtp.dataTimeout))
        case .saslResponse: return .seconds(Int64(config.smtp.commandTimeout))
        }
    }
}
