import NIOCore

/// Waits on a UDP socket for the answer to one query. Datagrams from another address or port,
/// unparsable ones, and ones that do not answer our question are dropped and the wait goes on
/// (RFC 5452 §9.1: a stub accepts only a matching ID, question and source), so a spoofer has
/// to guess the ID and the port within the timeout.
final class UDPExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let server: SocketAddress
    private let query: DNSQuery
    private let timeout: TimeAmount
    private let promise: EventLoopPromise<DNSMessage>
    private var timer: Scheduled<Void>?
    private var finished = false

    init(server: SocketAddress, query: DNSQuery, timeout: TimeAmount, promise: EventLoopPromise<DNSMessage>) {
        self.server = server
        self.query = query
        self.timeout = timeout
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            finish(.failure(DNSFailure.timeout), context: loopBound.value)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress.ipAddress == server.ipAddress, envelope.remoteAddress.port == server.port,
              let message = try? DNSMessage(parsing: Array(envelope.data.readableBytesView)),
              query.isAnswered(by: message)
        else { return }
        finish(.success(message), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // An ICMP error on an unconnected socket, for instance: this server will not answer.
        finish(.failure(DNSFailure.network("\(error)")), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(DNSFailure.network("socket closed")), context: context)
    }

    private func finish(_ result: Result<DNSMessage, Error>, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        promise.completeWith(result)
        context.close(promise: nil)
    }
}

/// Sends one query over TCP with its 2-octet length (RFC 1035 §4.2.2, RFC 7766 §8) and reads
/// one length-prefixed answer; the buffer never holds more than one maximal message.
final class TCPExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let query: DNSQuery
    private let timeout: TimeAmount
    private let promise: EventLoopPromise<DNSMessage>
    private var timer: Scheduled<Void>?
    private var received: [UInt8] = []
    private var finished = false

    init(query: DNSQuery, timeout: TimeAmount, promise: EventLoopPromise<DNSMessage>) {
        self.query = query
        self.timeout = timeout
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            finish(.failure(DNSFailure.timeout), context: loopBound.value)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        let message = query.encode()
        var buffer = context.channel.allocator.buffer(capacity: message.count + 2)
        buffer.writeInteger(UInt16(message.count))
        buffer.writeBytes(message)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let wanted = 2 + DNSMessage.maximumLength
        received += buffer.readableBytesView.prefix(wanted - received.count)
        guard received.count >= 2 else { return }
        let length = Int(received[0]) << 8 | Int(received[1])
        guard received.count >= 2 + length else { return }
        let bytes = Array(received[2..<2 + length])
        // No off-path spoofing on an established TCP connection: a reply that does not parse
        // or does not answer our question is the server's fault, not noise to skip.
        do {
            let message = try DNSMessage(parsing: bytes)
            guard query.isAnswered(by: message) else {
                finish(.failure(DNSFailure.malformed("the TCP answer is for another question")), context: context)
                return
            }
            finish(.success(message), context: context)
        } catch {
            finish(.failure(DNSFailure.malformed(error.description)), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(.failure(DNSFailure.network("\(error)")), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(DNSFailure.network("connection closed before the answer")), context: context)
    }

    private func finish(_ result: Result<DNSMessage, Error>, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        promise.completeWith(result)
        context.close(promise: nil)
    }
}
