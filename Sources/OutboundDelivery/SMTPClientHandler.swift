import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS
import SMTPProtocol

/// What the async side of a connection waits for.
enum SMTPClientStep: Sendable, Equatable {
    /// The session is idle: `open` is done, or a transaction may start.
    case ready
    /// The 354 came: stream the content, then call `contentSent`.
    case sendContent
    /// A transaction ended with a result per recipient; the connection stays usable.
    case finished([SMTPRecipientResult])
    /// The connection is closed: why, nil after a normal QUIT.
    case closed(SMTPClientFailure?)
}

/// What the public connection reads without an await: written on the event loop after each
/// event, read from anywhere.
struct SMTPClientSnapshot: Sendable {
    var tlsVersion: String?
    var peerSupportsDSN = false
    var reusable = false
    /// A `deliver` or `close` is running: a second one at once is a caller's mistake.
    var busy = false
    var closing = false
}

/// The thin NIO side of `SMTPClientSession`: feeds it what the server sends, writes what it
/// says, applies its timeouts, and does the TLS handshake it asks for. Everything here runs on
/// the channel's event loop; the async side calls in through `NIOLoopBound`.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The TLS handshake after STARTTLS has no timeout in the session (it is the glue's work);
    /// it gets a command's five minutes (RFC 5321 §4.5.3.2 names none).
    static let handshakeTimeout = SMTPClientSession.Timeouts.command
    /// How long `quit` waits for the reply to QUIT before closing anyway.
    static let quitTimeout = Duration.seconds(5)

    private var session: SMTPClientSession
    private let eventLoop: any EventLoop
    private let tls: OutboundTLS
    private let hostName: String
    private let snapshot: NIOLockedValueBox<SMTPClientSnapshot>
    /// Caps every timeout (tests only; nil in production).
    private let timeoutLimit: Duration?
    private var waiter: EventLoopPromise<SMTPClientStep>?
    /// `.transactionFinished` came; handed over with the `.ready` behind it.
    private var pendingResults: [SMTPRecipientResult]?
    /// Why the connection ended, for callers that come after it did.
    private var closeFailure: SMTPClientFailure?
    private var closed = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// A transport error seen before the close it causes: it explains that close better.
    private var transportError: String?
    /// Its RFC 3463 code: 4.7.5 for a TLS failure, else the session's 4.4.2.
    private var transportEnhancedCode: String?

    init(configuration: SMTPClientConfiguration, tls: OutboundTLS, hostName: String,
         snapshot: NIOLockedValueBox<SMTPClientSnapshot>, timeoutLimit: Duration?,
         opened: EventLoopPromise<SMTPClientStep>) {
        self.session = SMTPClientSession(configuration: configuration)
        self.tls = tls
        self.hostName = hostName
        self.snapshot = snapshot
        self.timeoutLimit = timeoutLimit
        self.waiter = opened
        self.eventLoop = opened.futureResult.eventLoop
    }

    // MARK: channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armTimer() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A connect that failed never becomes active: whoever waits must still hear of it.
        finishClosed(SMTPClientFailure(status: .deferred, reason: transportError ?? "the connection was closed",
                                       enhancedCode: "4.4.2"))
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer()  // the greeting's five minutes (RFC 5321 §4.5.3.2)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        // The whole read goes to the session at once: bytes behind a 220 to STARTTLS are in
        // the same buffer, so the session sees them before it asks for the handshake.
        let before = session.phase
        execute(session.receive(bytes))
        // Re-armed per phase (per reply in a transaction), not per read: a server trickling
        // a byte at a time must not hold the connection forever.
        if session.phase != before { armTimer() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .handshakeCompleted = event as? TLSUserEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let tlsHandler = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
        if session.configuration.tlsPolicy == .verify,
           !(tlsHandler?.peerCertificate.map { OutboundTLS.certificate($0, names: hostName) } ?? false) {
            let reason = "the certificate does not name \(hostName) (RFC 6125 §6.4)"
            if session.phase == .awaitingTLSHandshake {
                execute(session.tlsFailed(reason))
            } else {
                transportError = "TLS handshake failed: \(reason)"
                transportEnhancedCode = "4.7.5"
                context.close(promise: nil)
            }
            return
        }
        snapshot.withLockedValue { $0.tlsVersion = OutboundTLS.name(tlsHandler?.tlsVersion) }
        if session.phase == .awaitingTLSHandshake {
            execute(session.tlsEstablished())
            armTimer()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason = Self.describe(error)
        if session.phase == .awaitingTLSHandshake {
            execute(session.tlsFailed(reason))
            return
        }
        if transportError == nil {
            let handshakeDone = snapshot.withLockedValue { $0.tlsVersion != nil }
            if session.tlsActive && !handshakeDone {
                transportError = "TLS handshake failed: \(reason)"
                transportEnhancedCode = "4.7.5"
            } else {
                transportError = reason
            }
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        execute(session.connectionClosed(), reason: transportError, enhancedCode: transportEnhancedCode)
        finishClosed(SMTPClientFailure(status: .deferred, reason: transportError ?? "the server closed the connection",
                                       enhancedCode: "4.4.2"))
        context.fireChannelInactive()
    }

    // MARK: calls from the async side (on the event loop)

    /// Starts a transaction; the step says what to do next.
    func start(_ message: SMTPOutboundMessage) -> EventLoopFuture<SMTPClientStep> {
        wait { handler in handler.session.start(message) }
    }

    /// One piece of the content, already dot-stuffed. Each write restarts the data block
    /// timeout (RFC 5321 §4.5.3.2: three minutes per send), also once it has gone out.
    func writeContent(_ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard let context, case .sendingContent = session.phase else {
            return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        armTimer()
        let written = context.writeAndFlush(wrapOutboundOut(buffer))
        written.assumeIsolated().whenSuccess { [self] in
            if case .sendingContent = session.phase { armTimer() }
        }
        return written
    }

    /// The last piece (the end marker included): the session waits for the final reply from
    /// this event-loop turn on, as the reply may come as soon as the marker is out.
    func finishContent(_ buffer: ByteBuffer) -> EventLoopFuture<SMTPClientStep> {
        wait { handler in
            guard let context = handler.context, case .sendingContent = handler.session.phase else {
                return handler.outOfStep()
            }
            context.writeAndFlush(handler.wrapOutboundOut(buffer), promise: nil)
            return handler.session.contentSent()
        }
    }

    /// The content cannot be finished (the file could not be read): the connection is
    /// dropped without the end marker, so the server never takes a truncated message.
    func abandonContent(_ reason: String) -> EventLoopFuture<SMTPClientStep> {
        wait { handler in
            guard case .sendingContent = handler.session.phase else { return handler.outOfStep() }
            handler.pendingOverride = reason
            return handler.session.quit()
        }
    }

    /// QUIT, its reply awaited for a few seconds at most (RFC 5321 §4.1.1.10).
    func quit() -> EventLoopFuture<SMTPClientStep> {
        let future = wait { handler in handler.session.quit() }
        if !closed { armTimer(limit: Self.quitTimeout) }
        return future
    }

    /// A content call came when no content was due: answer at once rather than wait forever.
    private func outOfStep() -> [SMTPClientAction] {
        resolve(.closed(closeFailure ?? SMTPClientFailure(status: .deferred, reason: "the session got out of step",
                                                          enhancedCode: "4.5.0")))
        return []
    }

    // MARK: executing the session's actions

    /// A reason to put in the failure of the next close, instead of the session's.
    private var pendingOverride: String?

    /// Installs a waiter, runs `event`, and returns what the waiter receives. On a closed
    /// connection the answer is the failure it closed with.
    private func wait(_ event: (SMTPClientHandler) -> [SMTPClientAction]) -> EventLoopFuture<SMTPClientStep> {
        guard let context, !closed else {
            return eventLoop.makeSucceededFuture(.closed(closeFailure ?? Self.notConnected))
        }
        let promise = context.eventLoop.makePromise(of: SMTPClientStep.self)
        // One call at a time (the connection's busy flag); an old waiter would wait forever.
        waiter?.succeed(.closed(SMTPClientFailure(status: .deferred, reason: "superseded by another call")))
        waiter = promise
        let before = session.phase
        execute(event(self), reason: pendingOverride)
        if session.phase != before { armTimer() }
        return promise.futureResult
    }

    private func execute(_ actions: [SMTPClientAction], reason override: String? = nil, enhancedCode: String? = nil) {
        guard let context else { return }
        var flight = context.channel.allocator.buffer(capacity: 0)
        func flush() -> EventLoopFuture<Void>? {
            guard flight.readableBytes > 0 else { return nil }
            defer { flight.clear() }
            return context.writeAndFlush(wrapOutboundOut(flight))
        }
        for action in actions {
            switch action {
            case .send(let command):
                // Several sends in one answer are one pipelined flight (RFC 2920 §3.1): one write.
                flight.writeSMTPCommand(command)
            case .sendSASLResponse(let response):
                flight.writeString(response + "\r\n")
            case .sendEndOfContentOnly:
                flight.writeString(".\r\n")
            case .startTLS:
                _ = flush()
                beginHandshake(context: context)
            case .sendContent:
                _ = flush()
                resolve(.sendContent)
            case .transactionFinished(let results):
                pendingResults = results
            case .ready:
                if let results = pendingResults {
                    pendingResults = nil
                    resolve(.finished(results))
                } else {
                    resolve(.ready)
                }
            case .close(var failure):
                if let override, failure != nil { failure?.reason = override }
                if let enhancedCode, failure != nil { failure?.enhancedCode = enhancedCode }
                pendingOverride = nil
                pendingResults = nil
                let written = flush()
                // Recorded first: closing the channel runs channelInactive at once, whose
                // "the server closed the connection" must not replace the real reason.
                finishClosed(failure)
                let channel = context.channel
                if let written {
                    written.whenComplete { _ in channel.close(promise: nil) }
                } else {
                    channel.close(promise: nil)
                }
            }
        }
        _ = flush()
        updateSnapshot()
    }

    /// Puts the TLS client in front of everything, in this event-loop turn: the next bytes the
    /// server sends go to TLS (RFC 3207 §4.2). The session has already checked that nothing
    /// was behind the 220, and no decoder here keeps a buffer of its own.
    private func beginHandshake(context: ChannelHandlerContext) {
        do {
            let handler = try tls.makeHandler(policy: session.configuration.tlsPolicy, hostName: hostName)
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
            armTimer(limit: Self.handshakeTimeout)
        } catch {
            execute(session.tlsFailed("cannot start TLS: \(Self.describe(error))"))
        }
    }

    private func resolve(_ step: SMTPClientStep) {
        guard let waiter else { return }
        self.waiter = nil
        // Before the waiter runs (on another thread): it may read `isReusable` at once.
        updateSnapshot()
        waiter.succeed(step)
    }

    private func finishClosed(_ failure: SMTPClientFailure?) {
        if !closed {
            closed = true
            closeFailure = failure
        }
        timer?.cancel()
        timer = nil
        updateSnapshot()
        resolve(.closed(closeFailure))
    }

    private func updateSnapshot() {
        let reusable = !closed && session.phase == .ready
        let dsn = session.capabilities.dsn
        snapshot.withLockedValue {
            $0.reusable = reusable
            $0.peerSupportsDSN = dsn
        }
    }

    // MARK: timeouts

    /// Restarts the timer for the session's phase (RFC 5321 §4.5.3.2), or `limit` when the
    /// session has none (the handshake, QUIT's short wait).
    private func armTimer(limit: Duration? = nil) {
        timer?.cancel()
        timer = nil
        guard let context, !closed, var timeout = session.timeout ?? limit else { return }
        if let limit, timeout > limit { timeout = limit }
        if let timeoutLimit, timeout > timeoutLimit { timeout = timeoutLimit }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            timer = nil
            if session.phase == .awaitingTLSHandshake {
                execute(session.tlsFailed("the handshake timed out"))
            } else {
                execute(session.timedOut())
            }
        }
    }

    static let notConnected = SMTPClientFailure(status: .deferred, reason: "the connection is closed", enhancedCode: "4.4.2")

    /// BoringSSL's and the socket's errors in words.
    static func describe(_ error: any Error) -> String {
        if case NIOSSLError.uncleanShutdown = error { return "the server closed the connection without a TLS close_notify" }
        return "\(error)"
    }
}
