import IMAPMailbox
import IMAPProtocol
import Logging
import NIOCore

/// IDLE (RFC 2177): updates pushed as the mailbox changes in this process (`watch`), and
/// polled every few seconds for changes by other processes; `* OK Still here` every two
/// minutes keeps NATs and clients content; DONE sends what remains, then the tagged OK.
///
/// The account session takes one call at a time: every storage trip of IDLE (fetch, watch,
/// unwatch, close) is chained after the one before (`IdleState.fetch`).
extension IMAPServerHandler {
    struct IdleState {
        var tick: Scheduled<Void>?
        var lastKeepalive: NIODeadline
        /// The last storage trip; the next one starts after it, so updates keep their order.
        var fetch: EventLoopFuture<Void>?
    }

    static let idlePollInterval = TimeAmount.seconds(5)
    static let idleKeepaliveInterval = TimeAmount.minutes(2)

    /// Every two minutes, or more often when `[imap] idle_timeout` is shorter, so the keepalive
    /// always comes before the inactivity limit.
    var keepaliveInterval: TimeAmount {
        min(Self.idleKeepaliveInterval, .seconds(Int64(max(2, config.imap.idleTimeout / 2))))
    }

    func startIdle(_ response: IMAPResponse, context: ChannelHandlerContext) {
        write(response)
        connection.flush(context: context)
        idle = IdleState(tick: nil, lastKeepalive: .now(), fetch: nil)
        // What is already pending goes out at once; then the store wakes us.
        fetchIdleUpdates(context: context, thenWatch: true)
        scheduleIdleTick(context: context)
    }

    func finishIdle(_ response: IMAPResponse, context: ChannelHandlerContext) {
        let previous = idle?.fetch ?? context.eventLoop.makeSucceededVoidFuture()
        stopIdleTimers()
        idle = nil
        guard let account else { return write(response) }
        let storageThreads = server.storageThreads
        let loop = context.eventLoop
        let remaining = previous.flatMap {
            storageThreads.runIfActive(eventLoop: loop) { () -> [IMAPResponse] in
                account.unwatch()
                return try account.pendingUpdates()
            }
        }
        connection.continueAfter(remaining, context: context) { result in
            if case .success(let updates) = result { updates.forEach(self.write) }
            self.write(response)
        }
    }

    func stopIdleTimers() {
        idle?.tick?.cancel()
        idle?.tick = nil
    }

    /// The storage trip in flight during IDLE, if any: closing the account waits for it.
    var pendingIdleTrip: EventLoopFuture<Void>? { idle?.fetch }

    private func scheduleIdleTick(context: ChannelHandlerContext) {
        idle?.tick = context.eventLoop.assumeIsolated().scheduleTask(in: Self.idlePollInterval) {
            guard self.idle != nil, !self.connection.isClosing else { return }
            if self.idle!.lastKeepalive + self.keepaliveInterval <= .now() {
                self.idle!.lastKeepalive = .now()
                // The keepalive counts as activity: an IDLE session is never logged out for
                // inactivity while it flows (RFC 2177 §3), and after DONE the normal limit runs
                // from the last one.
                self.connection.noteActivity()
                self.write(.untagged(.status(IMAPStatus(.ok, "Still here"))))
                self.connection.flush(context: context)
            }
            self.fetchIdleUpdates(context: context, thenWatch: false)
            self.scheduleIdleTick(context: context)
        }
    }

    /// Fetches and writes pending updates after the previous trip; `thenWatch` registers for
    /// the next wake in the same trip (the store calls back from any thread).
    func fetchIdleUpdates(context: ChannelHandlerContext, thenWatch: Bool) {
        guard let account, idle != nil else { return }
        let previous = idle?.fetch ?? context.eventLoop.makeSucceededVoidFuture()
        let storageThreads = server.storageThreads
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let wake: @Sendable () -> Void = {
            loop.execute {
                let (handler, context) = bound.value
                guard handler.idle != nil, !handler.connection.isClosing else { return }
                handler.fetchIdleUpdates(context: context, thenWatch: true)
            }
        }
        let updates = previous.flatMap {
            storageThreads.runIfActive(eventLoop: loop) { () -> [IMAPResponse] in
                let updates = try account.pendingUpdates()
                if thenWatch { account.watch(wake) }
                return updates
            }
        }
        updates.assumeIsolated().whenFailure { error in
            // A failing poll is logged; IDLE goes on (the next poll may succeed).
            self.logger.warning("IDLE update failed", metadata: ["error": "\(error)"])
        }
        let written = updates.assumeIsolated().map { responses in
            guard !self.connection.isClosing, !responses.isEmpty else { return }
            responses.forEach(self.write)
            self.connection.flush(context: context)
        }.nonisolated().recover { _ in }
        idle?.fetch = written
    }
}
