import Logging
import MailQueue
import NIOCore
import NIOPosix

/// Reads the queue's wake FIFO on an event loop: each read is a `tsubame queue …` command
/// asking the scheduler to look now. The bytes are dropped as they come (NIO reads them in
/// bounded pieces), so a command writing many costs one read each, nothing kept.
enum QueueWakeListener {
    /// nil, with a warning, when the FIFO cannot be made: commands then take effect at the next
    /// poll, as before.
    static func start(_ fifo: QueueWakeFIFO, on eventLoop: any EventLoop, logger: Logger,
                      wake: @escaping @Sendable () -> Void) async -> (any Channel)? {
        let descriptor: CInt
        do {
            descriptor = try fifo.openForReading()
        } catch {
            logger.warning("queue: no wake-up FIFO; queue commands take effect within a second",
                           metadata: ["error": "\(error)"])
            return nil
        }
        do {
            return try await NIOPipeBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(WakeHandler(wake: wake))
                    }
                }
                .takingOwnershipOfDescriptor(input: descriptor).get()
        } catch {
            close(descriptor)  // still ours when the bootstrap failed
            logger.warning("queue: cannot read the wake-up FIFO; queue commands take effect within a second",
                           metadata: ["error": "\(error)"])
            return nil
        }
    }

    private final class WakeHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let wake: @Sendable () -> Void

        init(wake: @escaping @Sendable () -> Void) { self.wake = wake }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            wake()
        }
    }
}
