import Logging
import MaildirStore
import NIOCore
import NIOExtras
import ProtocolSupport
import SMTPProtocol
import TsubameConfig

/// One SMTP connection: frames the byte stream, feeds the pure `SMTPSession`, and carries out
/// what it asks (directory lookups, streaming content to the store, replies).
///
/// Backpressure: while an asynchronous step runs (a lookup, a write, a commit) no further
/// reads are requested, so buffers stay bounded whatever the client sends.
final class SMTPServerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum InputMode {
        case commands
        case data
        case chunk(remaining: Int, last: Bool, accepted: Bool)
    }

    /// Content is spilled to the spool file in pieces of about this size.
    private static let spillThreshold = 256 * 1024

    private let server: SMTPServerContext
    private let config: TsubameConfiguration
    private var session: SMTPSession<ResolvedRecipient>
    private var framer = CommandLineFramer()
    private var mode = InputMode.commands
    private var input = ByteBuffer()
    private var output = ByteBuffer()
    private var transfer: MessageTransfer?
    private var isWaiting = false
    private var readPending = false
    private var isClosing = false
    private var quiesceRequested = false
    private var holdsConnectionSlot = false
    private var clientAddress = "unknown"
    private var lastActivity = NIODeadline.now()
    private var timeoutTask: Scheduled<Void>?
    private var logger: Logger

    init(server: SMTPServerContext) {
        self.server = server
        self.config = server.snapshot()
        self.session = SMTPSession(configuration: SMTPSessionConfiguration(config))
        self.logger = server.logger
    }

    // MARK: Connection life cycle

    func channelActive(context: ChannelHandlerContext) {
        clientAddress = context.remoteAddress?.ipAddress ?? "unknown"
        logger[metadataKey: "client"] = "[\(clientAddress)]"
        if let refusal = server.limiter.acquire(clientAddress, maximumTotal: config.smtp.maxConnections,
                                                maximumPerAddress: config.smtp.maxConnectionsPerIP) {
            logger.notice("connection refused: \(refusal == .total ? "too many connections" : "too many connections from this address")")
            send(.tooManyConnections(hostname: config.hostname), context: context)
            close(context: context)
            return
        }
        holdsConnectionSlot = true
        server.openChannels.add(context.channel)
        logger.debug("connect")
        send(.greeting(hostname: config.hostname), context: context)
        flushOutput(context: context)
        armTimeout(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if holdsConnectionSlot {
            server.openChannels.remove(context.channel)
            server.limiter.release(clientAddress)
            holdsConnectionSlot = false
        }
        timeoutTask?.cancel()
        if let transfer {
            // Disconnected in the middle of a message: nothing was acknowledged, nothing stays.
            logger.notice("lost connection during message transfer; message discarded")
            transfer.discard(on: context.eventLoop)
            self.transfer = nil
        }
        isClosing = true
        logger.debug("disconnect")
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        var bytes = unwrapInboundIn(data)
        if input.readableBytes == 0 {
            input = bytes
        } else {
            input.writeBuffer(&bytes)
        }
        lastActivity = .now()
        processInput(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if isWaiting || isClosing || !context.channel.isWritable {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReading(context: context)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // Graceful shutdown: idle sessions get 421 now; a message in transfer finishes first.
            quiesceRequested = true
            if !session.isInMessageTransfer && !isWaiting {
                closeForShutdown(context: context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error: \(error)")
        close(context: context)
    }

    // MARK: Input

    private func processInput(context: ChannelHandlerContext) {
        loop: while !isWaiting && !isClosing {
            switch mode {
            case .commands:
                guard let event = framer.next(from: &input) else { break loop }
                let action: SMTPSession<ResolvedRecipient>.Action
                switch event {
                case .line(let line):
                    action = session.receive(SMTPCommandParser.parse(line))
                case .lineTooLong:
                    action = session.receiveLineTooLong()
                case .bareLineEnding:
                    action = session.receiveBareLineEnding()
                }
                perform(action, context: context)

            case .data:
                guard let transfer else { preconditionFailure("DATA without a transfer") }
                if transfer.decodeDotTerminated(&input) {
                    mode = .commands
                    perform(session.contentEnded(problems: transfer.problems), context: context)
                } else {
                    spillIfNeeded(context: context)
                    break loop
                }

            case .chunk(let remaining, let last, let accepted):
                let consumed: Int
                if accepted, let transfer {
                    consumed = transfer.decodeChunk(&input, limit: remaining)
                } else {
                    consumed = min(remaining, input.readableBytes)
                    input.moveReaderIndex(forwardBy: consumed)
                }
                guard consumed == remaining else {
                    mode = .chunk(remaining: remaining - consumed, last: last, accepted: accepted)
                    spillIfNeeded(context: context)
                    break loop
                }
                mode = .commands
                if last { transfer?.finishChunks() }
                perform(session.chunkEnded(problems: transfer?.problems ?? []), context: context)
            }
        }
        if quiesceRequested && !session.isInMessageTransfer && !isWaiting && !isClosing {
            closeForShutdown(context: context)
        }
        if input.readableBytes == 0 {
            input.clear()
        } else if input.readerIndex > 64 * 1024 {
            input.discardReadBytes()
        }
        flushOutput(context: context)
        resumeReading(context: context)
    }

    private func perform(_ action: SMTPSession<ResolvedRecipient>.Action, context: ChannelHandlerContext) {
        switch action {
        case .reply(let reply):
            send(reply, context: context)
        case .close(let reply):
            if reply.code == 421 { logger.notice("too many errors; disconnecting") }
            send(reply, context: context)
            close(context: context)
        case .verifyRecipient(let mailbox):
            verifyRecipient(mailbox, context: context)
        case .startData(let reply):
            send(reply, context: context)
            beginTransfer(framing: .dotTerminated, context: context)
            mode = .data
        case .readChunk(let size, let last, let accepted):
            if accepted && transfer == nil { beginTransfer(framing: .chunked, context: context) }
            mode = .chunk(remaining: size, last: last, accepted: accepted)
        case .store(let envelope):
            commit(envelope, context: context)
        case .discardContent(let reply):
            if let transfer {
                logger.notice("message rejected", metadata: transfer.logMetadata(reason: reply.description))
                transfer.discard(on: context.eventLoop)
                self.transfer = nil
            }
            send(reply, context: context)
        }
    }

    // MARK: Asynchronous steps

    private func verifyRecipient(_ mailbox: SMTPMailbox, context: ChannelHandlerContext) {
        let delimiter = config.smtp.plusAddressing ? config.smtp.recipientDelimiter : nil
        isWaiting = true
        server.resolver.verdict(for: mailbox, recipientDelimiter: delimiter, on: context.eventLoop).assumeIsolated().whenSuccess { verdict in
            self.isWaiting = false
            guard !self.isClosing else { return }
            if case .accept = verdict {} else {
                self.logger.notice("recipient rejected", metadata: [
                    "from": "\(self.session.envelope?.reversePath.description ?? "")", "to": "<\(mailbox)>",
                    "verdict": "\(verdict)",
                ])
            }
            self.perform(self.session.recipientVerdict(verdict), context: context)
            self.processInput(context: context)
        }
    }

    private func beginTransfer(framing: MessageContentDecoder.Framing, context: ChannelHandlerContext) {
        guard let envelope = session.envelope, let greeting = session.greeting else {
            preconditionFailure("content without an envelope")
        }
        transfer = MessageTransfer(
            envelope: envelope, greeting: greeting, protocolName: session.protocolName,
            clientAddress: clientAddress, config: config, store: server.store, framing: framing,
            allocator: context.channel.allocator)
    }

    /// Moves received content to the spool file once enough has gathered, pausing input.
    private func spillIfNeeded(context: ChannelHandlerContext) {
        guard let transfer, transfer.bufferedBytes >= Self.spillThreshold else { return }
        isWaiting = true
        transfer.spill(on: context.eventLoop).assumeIsolated().whenComplete { _ in
            self.isWaiting = false
            self.processInput(context: context)
        }
    }

    private func commit(_ envelope: SMTPEnvelope<ResolvedRecipient>, context: ChannelHandlerContext) {
        guard let transfer else { preconditionFailure("store without a transfer") }
        // From here the store owns the message: a disconnect no longer discards it.
        self.transfer = nil
        isWaiting = true
        transfer.commit(on: context.eventLoop).assumeIsolated().whenComplete { result in
            self.isWaiting = false
            let outcome: Result<String, SMTPSession<ResolvedRecipient>.StorageFailure>
            switch result {
            case .success:
                self.logger.info("accepted", metadata: transfer.logMetadata(reason: nil))
                outcome = .success(transfer.id)
            case .failure(let error):
                self.logger.error("storage failed: \(error)", metadata: transfer.logMetadata(reason: "451 4.3.0"))
                outcome = .failure(.init())
            }
            guard !self.isClosing else { return }
            self.perform(self.session.storageCompleted(outcome), context: context)
            self.processInput(context: context)
        }
    }

    // MARK: Output and closing

    private func send(_ reply: SMTPReply, context: ChannelHandlerContext) {
        output.writeSMTPReply(reply)
    }

    /// Replies to pipelined commands go out together (RFC 2920 §3.2).
    private func flushOutput(context: ChannelHandlerContext) {
        guard output.readableBytes > 0 else { return }
        context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        output = context.channel.allocator.buffer(capacity: 0)
    }

    private func close(context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        timeoutTask?.cancel()
        let pending = output
        output = ByteBuffer()
        context.writeAndFlush(wrapOutboundOut(pending)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func closeForShutdown(context: ChannelHandlerContext) {
        logger.debug("closing for shutdown")
        send(.shuttingDown(hostname: config.hostname), context: context)
        close(context: context)
    }

    private func resumeReading(context: ChannelHandlerContext) {
        if readPending && !isWaiting && !isClosing && context.channel.isWritable {
            readPending = false
            context.read()
        }
    }

    // MARK: Timeouts (RFC 5321 §4.5.3.2)

    private var currentTimeout: TimeAmount {
        switch mode {
        case .commands: return .seconds(Int64(config.smtp.commandTimeout))
        case .data, .chunk: return .seconds(Int64(config.smtp.dataTimeout))
        }
    }

    /// One timer per connection, re-armed only when it fires, instead of on every read.
    private func armTimeout(context: ChannelHandlerContext) {
        let deadline = lastActivity + currentTimeout
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.checkTimeout(context: context)
        }
    }

    private func checkTimeout(context: ChannelHandlerContext) {
        guard !isClosing else { return }
        if isWaiting { lastActivity = .now() }  // our own work is not the client's idleness
        if lastActivity + currentTimeout <= .now() {
            logger.notice("timeout; disconnecting", metadata: ["phase": "\(session.phase)"])
            if let transfer {
                transfer.discard(on: context.eventLoop)
                self.transfer = nil
            }
            send(.timeout(hostname: config.hostname), context: context)
            close(context: context)
        } else {
            armTimeout(context: context)
        }
    }
}
