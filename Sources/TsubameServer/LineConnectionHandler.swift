import Logging
import NIOCore

/// What the SMTP and POP3 handlers share around their protocol work: input goes through the
/// connection core (backpressure, idle timer), TLS is noted when its handshake completes, and a
/// shutdown request waits for the handler to reach a safe point (`closeIfQuiescing`).
/// The defaults below are the channel-handler methods both would otherwise repeat.
protocol LineConnectionHandler: ChannelDuplexHandler, AnyObject where InboundIn == ByteBuffer {
    var connection: ConnectionCore { get }
    var input: ByteBuffer { get set }
    var tlsInfo: TLSSessionInfo { get set }
    var quiesceRequested: Bool { get set }
    var logger: Logger { get }

    /// Handles whatever complete input is buffered.
    func processInput(context: ChannelHandlerContext)
    /// Closes the connection if shutdown was requested and nothing is in progress.
    func closeIfQuiescing(context: ChannelHandlerContext)
}

extension LineConnectionHandler {
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !connection.isClosing else { return }
        connection.received(unwrapInboundIn(data), into: &input)
        processInput(context: context)
    }

    func read(context: ChannelHandlerContext) {
        connection.read(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection.resumeReading(context: context)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if tlsInfo.observe(event, context: context) {
            logger.info("TLS established", metadata: ["tls": "\(tlsInfo.summary ?? "")"])
        }
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        quiesceRequested = true
        closeIfQuiescing(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        connection.close(context: context)
    }
}
