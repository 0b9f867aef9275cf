import AccountDirectory
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Checks passwords on threads of their own. A yescrypt verification costs tens of
/// milliseconds of CPU on purpose; on a shared pool a login flood would make recipient lookups
/// and certificate upkeep queue behind it. At most `maximumPending` checks are queued or
/// running; past that a login is answered `.busy` at once, so a flood costs memory and CPU
/// bounded by the pool, not by the number of connections.
final class PasswordVerifier: Sendable {
    enum Verdict: Sendable, Equatable {
        case verified(MailboxAddress)
        /// Wrong password, unknown account, alias: one answer, as `AccountDirectory` gives it.
        case rejected
        /// Not checked: too many checks pending, or the directory failed. Try again later.
        case busy
    }

    private let threads: NIOThreadPool
    private let check: @Sendable (_ user: String, _ password: String) throws -> MailboxAddress?
    private let pending = NIOLockedValueBox(PasswordCheckAdmission())
    private let maximumPending: NIOLockedValueBox<Int>

    init(threads: NIOThreadPool, maximumPending: Int,
         check: @escaping @Sendable (_ user: String, _ password: String) throws -> MailboxAddress?) {
        self.threads = threads
        self.maximumPending = NIOLockedValueBox(maximumPending)
        self.check = check
    }

    convenience init(directory: any AccountDirectory, threads: NIOThreadPool, maximumPending: Int) {
        self.init(threads: threads, maximumPending: maximumPending) { user, password in
            try directory.verifyPassword(address: user, password: password)
        }
    }

    /// SIGHUP: applies to checks that arrive from now on.
    func update(maximumPending limit: Int) { maximumPending.withLockedValue { $0 = limit } }

    /// Checks queued or running now.
    var pendingCount: Int { pending.withLockedValue { $0.total } }

    /// `client` and `returning` decide the place in the queue (`PasswordCheckAdmission`);
    /// without a client only the overall bound applies.
    func verify(user: String, password: String, client: ClientNetwork? = nil, returning: Bool = false,
                on eventLoop: any EventLoop) -> EventLoopFuture<Verdict> {
        let limit = maximumPending.withLockedValue { $0 }
        let admitted = pending.withLockedValue { $0.admit(client, returning: returning, limit: limit) }
        guard admitted else { return eventLoop.makeSucceededFuture(.busy) }
        let check = self.check
        let verdict = threads.runIfActive(eventLoop: eventLoop) { () -> Verdict in
            try check(user, password).map(Verdict.verified) ?? .rejected
        }
        verdict.whenComplete { [pending] _ in pending.withLockedValue { $0.release(client) } }
        // A failed directory, or a pool shut down: nothing was checked.
        return verdict.recover { _ in .busy }
    }
}
