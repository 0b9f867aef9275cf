import NIOCore

/// What the SMTP and POP3 handlers do alike: take a connection slot, hold reads back while an
/// asynchronous step runs (backpressure), gather replies and write them together, close after
/// the last write, and watch for idleness with one timer. Bound to the connection's event loop.
final class ConnectionCore {
    private let limiter: ConnectionLimiter
    private let registry: ChannelRegistry
    private(set) var clientAddress = "unknown"
    private(set) var isClosing = false
    /// An asynchronous step is running: input waits, unread, until it is done.
    private(set) var isWaiting = false
    /// Replies gathered for the next flush, so pipelined answers leave together.
    var output = ByteBuffer()
    /// Called after an asynchronous step completes, to go on with buffered input.
    var resume: (ChannelHandlerContext) -> Void = { _ in }
    private var readPending = false
    private var holdsSlot = false
    private var lastActivity = NIODeadline.now()
    private var timeoutTask: Scheduled<Void>?

    init(limiter: ConnectionLimiter, registry: ChannelRegistry) {
        self.limiter = limiter
        self.registry = registry
    }

    /// Takes a connection slot for the client's address; returns the limit that refuses it.
    func admit(context: ChannelHandlerContext, maximumTotal: Int, maximumPerAddress: Int) -> ConnectionLimiter.Refusal? {
        clientAddress = context.remoteAddress?.ipAddress ?? "unknown"
        if let refusal = limiter.acquire(clientAddress, maximumTotal: maximumTotal, maximumPerAddress: maximumPerAddress) {
            return refusal
        }
        holdsSlot = true
        registry.add(context.channel)
        return nil
    }

    func connectionClosed(context: ChannelHandlerContext) {
        if holdsSlot {
            registry.remove(context.channel)
            limiter.release(clientAddress)
            holdsSlot = false
        }
        timeoutTask?.cancel()
        isClosing = true
    }

    /// Appends what arrived to `input` and notes the activity for the idle timer.
    func received(_ bytes: ByteBuffer, into input: inout ByteBuffer) {
        var bytes = bytes
        if input.readableBytes == 0 { input = bytes } else { input.writeBuffer(&bytes) }
        lastActivity = .now()
    }

    /// Something the server sends on the client's behalf (IMAP IDLE's keepalive) counts as activity.
    func noteActivity() {
        lastActivity = .now()
    }

    /// Keeps what is left of `input` small in memory. Emptied, it lets go of its storage: that
    /// is the channel's receive buffer, which the channel reuses for its next read once no one
    /// else holds it (`clear()` on the shared storage copied it instead: 2 KB more per idle
    /// connection, and an allocation per read).
    func compact(_ input: inout ByteBuffer) {
        if input.readableBytes == 0 { input = ByteBuffer() } else if input.readerIndex > 64 * 1024 { input.discardReadBytes() }
    }

    // MARK: Reads

    func read(context: ChannelHandlerContext) {
        if isWaiting || isClosing || !context.channel.isWritable { readPending = true } else { context.read() }
    }

    func resumeReading(context: ChannelHandlerContext) {
        if readPending && !isWaiting && !isClosing && context.channel.isWritable {
            readPending = false
            context.read()
        }
    }

    /// Runs `body` on the event loop when `future` completes, unless the connection closed
    /// meanwhile, then goes on with buffered input.
    func continueAfter<Value>(_ future: EventLoopFuture<Value>, context: ChannelHandlerContext,
                              then body: @escaping (Result<Value, any Error>) -> Void) {
        isWaiting = true
        future.assumeIsolated().whenComplete { result in
            self.isWaiting = false
            guard !self.isClosing else { return }
            body(result)
            self.resume(context)
        }
    }

    // MARK: Writes and closing

    func flush(context: ChannelHandlerContext) {
        guard output.readableBytes > 0 else { return }
        context.writeAndFlush(NIOAny(output), promise: nil)
        output = context.channel.allocator.buffer(capacity: 0)
    }

    /// Flushes and completes when the bytes are written: the pace of large responses.
    func flushAndWait(context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        let pending = output
        output = context.channel.allocator.buffer(capacity: 0)
        return context.writeAndFlush(NIOAny(pending))
    }

    /// Writes what is gathered, then closes.
    func close(context: ChannelHandlerContext) {
        guard !isClosing else { return }
        isClosing = true
        timeoutTask?.cancel()
        flushAndWait(context: context).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: Idle timer

    /// One timer per connection, re-armed when it fires rather than on every read. Time spent
    /// on the server's own work does not count as the client's idleness.
    func startIdleTimer(context: ChannelHandlerContext, timeout: @escaping () -> TimeAmount, onIdle: @escaping () -> Void) {
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastActivity + timeout()) {
            guard !self.isClosing else { return }
            if self.isWaiting { self.lastActivity = .now() }
            if self.lastActivity + timeout() <= .now() {
                onIdle()
            } else {
                self.startIdleTimer(context: context, timeout: timeout, onIdle: onIdle)
            }
        }
    }
}
