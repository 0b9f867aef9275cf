import AccountDirectory
import Logging
import MaildirStore
import NIOCore
import POP3Protocol
import ProtocolSupport
import TsubameConfig

/// One POP3 connection: frames commands, feeds the pure `POP3Session`, and carries out its
/// actions: checking passwords, locking and listing the Maildir, streaming messages, deleting.
/// While an asynchronous step runs, no more input is read (backpressure), and pipelined
/// commands wait in order (RFC 2449 §6.6).
final class POP3ServerHandler: LineConnectionHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Message data is read and written in pieces of this size.
    private static let chunkSize = 256 * 1024

    private let server: POP3ServerContext
    /// Shared with the other connections begun under the same settings (see LiveConfiguration).
    private let settings: LiveConfiguration.Snapshot
    private var config: TsubameConfiguration { _read { yield settings.settings } }
    let connection: ConnectionCore
    private var session: POP3Session
    private var framer = CommandLineFramer(maximumLineLength: 255)
    var input = ByteBuffer()
    var quiesceRequested = false
    private var mailbox: MailboxAddress?
    /// SCRAM: the keys looked up for the exchange under way, until its proof is judged.
    private var scramLookup: SCRAMLookup?
    private var lock: MaildropLock?
    private let tlsMode: TLSMode
    var tlsInfo = TLSSessionInfo()
    var logger: Logger

    /// Whose connection limits apply: `[limits.NAME]`, else `[pop3]`'s.
    private let listener: ListenerName

    init(server: POP3ServerContext, tlsMode: TLSMode, listener: ListenerName = .pop3) {
        self.server = server
        self.tlsMode = tlsMode
        self.listener = listener
        self.settings = server.snapshot()
        self.connection = ConnectionCore(limiter: server.limiters[listener], registry: server.openChannels)
        self.session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: settings.settings.pop3.maxErrors,
                                                                           plaintextAllowed: false))
        self.logger = server.logger
        connection.resume = { [unowned self] context in self.processInput(context: context) }
    }

    private var maildir: String? {
        mailbox.map { "\(server.mailRoot)/\($0.domain)/\($0.localPart)" }
    }

    private var output: ByteBuffer {
        get { connection.output }
        _modify { yield &connection.output }
    }

    // MARK: Connection life cycle

    func channelActive(context: ChannelHandlerContext) {
        let refusal = connection.admit(context: context, maximumTotal: config.maximumConnections(for: listener),
                                       maximumPerAddress: config.maximumConnectionsPerIP(for: listener))
        logger[metadataKey: "client"] = "[\(connection.clientAddress)]"
        let plaintextAllowed = config.pop3.allowPlaintext.allowsPlaintext(
            fromLoopback: context.remoteAddress.map(Self.isLoopback) ?? false)
        session = POP3Session(configuration: POP3SessionConfiguration(
            maximumErrors: config.pop3.maxErrors,
            // "required": no passwords before STLS, loopback included.
            plaintextAllowed: plaintextAllowed && tlsMode != .required,
            stlsAvailable: server.tls.context != nil && (tlsMode == .optional || tlsMode == .required),
            tlsActive: tlsMode == .implicit))
        if let refusal {
            logger.notice("connection refused: \(refusal == .total ? "too many connections" : "too many connections from this address")")
            output.writePOP3Response(.tooManyConnections)
            connection.close(context: context)
            return
        }
        output.writePOP3Response(.greeting)
        connection.flush(context: context)
        // RFC 1939 §3: the autologout timer is at least 10 minutes.
        connection.startIdleTimer(context: context, timeout: { [unowned self] in .seconds(Int64(config.pop3.idleTimeout)) }) {
            [unowned self] in
            logger.notice("idle timeout; disconnecting")
            output.writePOP3Response(.timeout)
            connection.close(context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.connectionClosed(context: context)
        lock = nil  // a dropped connection deletes nothing; the mailbox is free again
        context.fireChannelInactive()
    }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    // MARK: Input

    func processInput(context: ChannelHandlerContext) {
        while !connection.isWaiting && !connection.isClosing, let event = framer.next(from: &input) {
            let action: POP3Session.Action
            switch event {
            case .line(let line):
                action = session.expectsSASLResponse ? session.receiveSASLResponse(line)
                                                     : session.receive(POP3CommandParser.parse(line))
            case .lineTooLong:
                action = session.receiveLineTooLong()
            case .bareLineEnding:
                action = session.receiveBareLineEnding()
            }
            perform(action, context: context)
        }
        closeIfQuiescing(context: context)
        connection.compact(&input)
        connection.flush(context: context)
        connection.resumeReading(context: context)
    }

    private func perform(_ action: POP3Session.Action, context: ChannelHandlerContext) {
        switch action {
        case .reply(let response):
            output.writePOP3Response(response)
        case .replyLines(let response, let lines):
            output.writePOP3Response(response)
            output.writePOP3Lines(lines)
        case .sendListing(let response, let kind):
            output.writePOP3Response(response)
            var lines = session.listingLines(kind).makeIterator()
            sendListing(&lines, context: context)
        case .startTLS(let response):
            startTLS(response, context: context)
        case .continueSASL(let challenge):
            // RFC 5034 §4: "+" SP base64; an empty challenge is "+ " alone.
            output.writeString(challenge.isEmpty ? "+ \r\n" : "+ \(Base64.encode(challenge))\r\n")
        case .verifyCredentials(let user, let password, let method):
            verify(user: user, password: password, method: method, context: context)
        case .lookUpSCRAMCredentials(let user):
            lookUpSCRAM(user: user, context: context)
        case .finishSCRAM(let user, let proofVerified):
            finishSCRAM(user: user, proofVerified: proofVerified, context: context)
        case .openMaildrop:
            openMaildrop(context: context)
        case .sendMessage(let response, let index, let bodyLineLimit):
            sendMessage(index: index, response: response, bodyLineLimit: bodyLineLimit, context: context)
        case .update(let deleted):
            update(deleting: deleted, context: context)
        case .close(let response):
            if response == .tooManyErrors { logger.notice("too many errors; disconnecting") }
            output.writePOP3Response(response)
            connection.close(context: context)
        }
    }

    /// RFC 2595 §4: +OK in plaintext, then TLS before anything more is read; the session stays
    /// in AUTHORIZATION. Bytes pipelined behind STLS are never executed: the connection closes.
    private func startTLS(_ response: POP3Response, context: ChannelHandlerContext) {
        guard input.readableBytes == 0 else {
            logger.notice("data pipelined after STLS (command injection); disconnecting")
            input.clear()
            connection.close(context: context)
            return
        }
        guard let tlsContext = server.tls.context else { preconditionFailure("STLS offered without TLS") }
        output.writePOP3Response(response)
        connection.flush(context: context)
        do {
            try context.pipeline.syncOperations.addServerTLS(tlsContext)
        } catch {
            logger.error("cannot start TLS: \(error)")
            connection.close(context: context)
            return
        }
        session = session.afterTLSHandshake()
        framer = CommandLineFramer(maximumLineLength: 255)
    }

    // MARK: Authentication

    private func verify(user: String, password: String, method: LoginMethod, context: ChannelHandlerContext) {
        let attempt = server.authenticator.authenticate(user: user, password: password,
                                                        client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(attempt, context: context) { result in
            self.answerLogin(result, user: user, method: method, context: context)
        }
    }

    /// SCRAM's first step: the user's keys, after the same lockout check as a password.
    private func lookUpSCRAM(user: String, context: ChannelHandlerContext) {
        let lookup = server.authenticator.lookUpSCRAM(user: user, client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(lookup, context: context) { result in
            switch result {
            case .success(.found(let found)):
                self.scramLookup = found
                self.perform(self.session.scramCredentialsFound(found.credentials), context: context)
            case .success(.lockedOut):
                self.answerLogin(.success(.lockedOut), user: user, method: .sasl(.scramSHA256), context: context)
            case .success(.busy), .failure:
                self.answerLogin(.success(.busy), user: user, method: .sasl(.scramSHA256), context: context)
            }
        }
    }

    /// The proof's verdict goes to the authenticator, which counts it as a password's would.
    private func finishSCRAM(user: String, proofVerified: Bool, context: ChannelHandlerContext) {
        guard let lookup = scramLookup else { preconditionFailure("SCRAM proof without a lookup") }
        scramLookup = nil
        let outcome = server.authenticator.finishSCRAM(user: user, lookup: lookup, proofVerified: proofVerified,
                                                       client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(outcome, context: context) { result in
            self.answerLogin(result, user: user, method: .sasl(.scramSHA256), context: context)
        }
    }

    /// The log lines SMTP and IMAP write too (`LoginLog`), then the session's answer.
    private func answerLogin(_ result: Result<LoginOutcome, any Error>, user: String, method: LoginMethod,
                             context: ChannelHandlerContext) {
        switch LoginLog(logger: logger).record(result, method: method.logName, user: user) {
        case .verified(let mailbox):
            self.mailbox = mailbox
            perform(session.credentialsVerified("\(mailbox)"), context: context)
        case .rejected:
            perform(session.credentialsVerified(nil), context: context)
        case .lockedOut:
            perform(session.loginRefused(.lockedOut), context: context)
        case .busy:
            perform(session.loginRefused(.temporaryFailure), context: context)
        }
    }

    private func openMaildrop(context: ChannelHandlerContext) {
        guard let maildir else { preconditionFailure("maildrop without a mailbox") }
        let opening = server.storageThreads.runIfActive(eventLoop: context.eventLoop) {
            () -> (MaildropLock, [MaildropMessage])? in
            guard let lock = try MaildropLock.acquire(maildir: maildir) else { return nil }
            let messages = try Maildrop.scan(maildir: maildir).map {
                MaildropMessage(uid: $0.uid, size: $0.size, location: $0.location)
            }
            return (lock, messages)
        }
        connection.continueAfter(opening, context: context) { result in
            switch result {
            case .success(let (lock, messages)?):
                self.lock = lock
                self.perform(self.session.maildropOpened(.success(messages)), context: context)
            case .success(nil):
                self.logger.notice("mailbox in use", metadata: ["user": "\(self.mailbox.map { "\($0)" } ?? "")"])
                self.mailbox = nil
                self.perform(self.session.maildropOpened(.failure(.inUse)), context: context)
            case .failure(let error):
                self.logger.error("cannot open mailbox: \(error)")
                self.mailbox = nil
                self.perform(self.session.maildropOpened(.failure(.unavailable)), context: context)
            }
        }
    }

    // MARK: Multi-line responses

    /// LIST and UIDL of a large maildrop go out in pieces, each written before the next.
    private func sendListing(_ lines: inout some IteratorProtocol<String>, context: ChannelHandlerContext) {
        while let line = lines.next() {
            output.writeString(line)
            output.writeStaticString("\r\n")
            if output.readableBytes >= Self.chunkSize {
                var rest = lines
                connection.continueAfter(connection.flushAndWait(context: context), context: context) { _ in
                    self.sendListing(&rest, context: context)
                }
                return
            }
        }
        output.writeStaticString(".\r\n")
    }

    /// A piece of a message read on a storage thread, and what else that trip did.
    private struct MessagePiece: Sendable {
        var bytes: ByteBuffer
        /// A short read of a regular file is its end.
        var isLast: Bool
        /// Where RETR's file went when this trip marked it seen (new/ → cur/).
        var seenLocation: String?

        static func read(_ reader: MessageFileReader, allocator: ByteBufferAllocator,
                         markSeen: (maildir: String, location: String)?) throws -> MessagePiece {
            let bytes = try reader.read(maximum: POP3ServerHandler.chunkSize, allocator: allocator)
            let isLast = bytes.readableBytes < POP3ServerHandler.chunkSize
            // RETR marks the message seen, as Dovecot does; in the same trip as its last piece.
            let seen = isLast ? markSeen.flatMap { Maildrop.markSeen(maildir: $0.maildir, location: $0.location) } : nil
            return MessagePiece(bytes: bytes, isLast: isLast, seenLocation: seen)
        }
    }

    /// RETR and TOP. Most messages take one trip to the storage threads: open, read the whole
    /// file, mark it seen.
    private func sendMessage(index: Int, response: POP3Response, bodyLineLimit: Int?, context: ChannelHandlerContext) {
        guard let maildir else { preconditionFailure("RETR without a maildrop") }
        let location = session.messages[index].location
        let markSeen = bodyLineLimit == nil ? (maildir: maildir, location: location) : nil
        let allocator = context.channel.allocator
        let opening = server.storageThreads.runIfActive(eventLoop: context.eventLoop) {
            let reader = try MessageFileReader(path: "\(maildir)/\(location)")
            return (reader, try MessagePiece.read(reader, allocator: allocator, markSeen: markSeen))
        }
        connection.continueAfter(opening, context: context) { result in
            guard case .success(let (reader, first)) = result else {
                self.logger.error("message file unavailable: \(location)")
                self.session.messageSent(index: index, newLocation: nil)
                self.output.writePOP3Response(.temporaryFailure)
                return
            }
            self.output.writePOP3Response(response)
            var encoder = MultilineMessageEncoder(bodyLineLimit: bodyLineLimit)
            self.send(first, of: reader, encoder: &encoder, index: index, markSeen: markSeen, context: context)
        }
    }

    /// Encodes a piece, and while more is needed writes it, waits for the write and reads the
    /// next: at most one piece of a message is in memory at a time.
    private func send(_ piece: MessagePiece, of reader: MessageFileReader, encoder: inout MultilineMessageEncoder,
                      index: Int, markSeen: (maildir: String, location: String)?, context: ChannelHandlerContext) {
        var state = encoder
        let wantsMore = piece.bytes.readableBytes > 0 && state.encode(piece.bytes, into: &output)
        guard wantsMore && !piece.isLast else {
            state.finish(into: &output)
            session.messageSent(index: index, newLocation: piece.seenLocation)
            if piece.seenLocation != nil, let maildir { server.imapMailStore?.storeIfMade?.noteChange(folderPath: maildir) }
            return
        }
        let allocator = context.channel.allocator
        connection.continueAfter(connection.flushAndWait(context: context), context: context) { _ in
            let reading = self.server.storageThreads.runIfActive(eventLoop: context.eventLoop) {
                try MessagePiece.read(reader, allocator: allocator, markSeen: markSeen)
            }
            self.connection.continueAfter(reading, context: context) { result in
                guard case .success(let next) = result else {
                    // Half a multi-line response cannot be taken back: end the session.
                    self.logger.error("reading a message failed; closing the session")
                    self.connection.close(context: context)
                    return
                }
                self.send(next, of: reader, encoder: &state, index: index, markSeen: markSeen, context: context)
            }
        }
    }

    private func update(deleting messages: [MaildropMessage], context: ChannelHandlerContext) {
        guard let maildir else { preconditionFailure("UPDATE without a maildrop") }
        let locations = messages.map(\.location)
        let removing = server.storageThreads.runIfActive(eventLoop: context.eventLoop) {
            Maildrop.remove(maildir: maildir, locations: locations)
        }
        connection.continueAfter(removing, context: context) { result in
            let removedAll = (try? result.get()) ?? false
            if !locations.isEmpty {
                self.logger.info("deleted messages", metadata: ["count": "\(locations.count)", "complete": "\(removedAll)"])
                self.server.imapMailStore?.storeIfMade?.noteChange(folderPath: maildir)
            }
            self.perform(self.session.updateFinished(removedAll: removedAll), context: context)
        }
    }

    // MARK: Closing

    /// Shutdown: a message being sent finishes; nothing is deleted without QUIT.
    func closeIfQuiescing(context: ChannelHandlerContext) {
        guard quiesceRequested, !connection.isWaiting, !connection.isClosing else { return }
        output.writePOP3Response(.shuttingDown)
        connection.close(context: context)
    }
}
