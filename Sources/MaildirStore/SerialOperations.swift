import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Blocking operations on a shared thread pool, run one at a time in the order they were
/// submitted. Submitted straight to a pool of many threads, two operations would run side by
/// side in either order: a discard could overtake the write queued before it, which would then
/// re-create the file the discard had removed.
final class SerialOperations: Sendable {
    private let threadPool: NIOThreadPool
    /// Completes when the operation submitted last has finished, successfully or not.
    private let last = NIOLockedValueBox<EventLoopFuture<Void>?>(nil)

    init(threadPool: NIOThreadPool) {
        self.threadPool = threadPool
    }

    /// Runs `body` on the pool once every operation submitted before it has finished.
    func submit<Result: Sendable>(on eventLoop: any EventLoop,
                                  _ body: @escaping @Sendable () throws -> Result) -> EventLoopFuture<Result> {
        let finished = eventLoop.makePromise(of: Void.self)
        let previous = last.withLockedValue { last in
            defer { last = finished.futureResult }
            return last
        }
        let start = previous?.hop(to: eventLoop) ?? eventLoop.makeSucceededVoidFuture()
        let result = start.flatMap { [threadPool] in threadPool.runIfActive(eventLoop: eventLoop, body) }
        result.whenComplete { _ in finished.succeed() }
        return result
    }
}
