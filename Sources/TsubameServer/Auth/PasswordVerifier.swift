import AccountDirectory
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ProtocolSupport

/// Bounds the password checks in flight. A yescrypt verification costs tens of milliseconds of
/// CPU on purpose, so the directory runs it on threads of its own (`SQLiteServerDirectory`'s
/// hashing pool); on a shared pool a login flood would make recipient lookups and certificate
/// upkeep queue behind it. At most `maximumPending` checks are queued or running; past that a
/// login is answered `.busy` at once, so a flood costs memory and CPU bounded by the pool, not
/// by the number of connections.
final class PasswordVerifier: Sendable {
    enum Verdict: Sendable, Equatable {
        case verified(MailboxAddress)
        /// Wrong password, unknown account, alias: one answer, as the directory gives it.
        case rejected
        /// Not checked: too many checks pending, or the directory failed. Try again later.
        case busy
    }

    private let check: @Sendable (_ user: String, _ password: String) async throws -> MailboxAddress?
    /// A password that verified recently, known without hashing (nil: not known); asked before
    /// the queue, so a returning client never waits behind a flood of wrong passwords.
    private let remembered: (@Sendable (_ user: String, _ password: String) async throws -> MailboxAddress?)?
    /// The cache behind `remembered`, for `[auth] cache_seconds`/`cache_size` on SIGHUP.
    let verifiedPasswords: VerifiedPasswords?
    private let pending = NIOLockedValueBox(PasswordCheckAdmission())
    private let maximumPending: NIOLockedValueBox<Int>

    /// `check` must not block its caller: it runs in a task, and does its work elsewhere
    /// (a thread pool, or a database client's own I/O).
    init(maximumPending: Int, verifiedPasswords: VerifiedPasswords? = nil,
         remembered: (@Sendable (_ user: String, _ password: String) async throws -> MailboxAddress?)? = nil,
         check: @escaping @Sendable (_ user: String, _ password: String) async throws -> MailboxAddress?) {
        self.maximumPending = NIOLockedValueBox(maximumPending)
        self.verifiedPasswords = verifiedPasswords
        self.remembered = remembered
        self.check = check
    }

    /// The server's: the directory decides where the hashing runs, and remembers successes
    /// in `verifiedPasswords` when it has them.
    convenience init(directory: any CredentialDirectory, maximumPending: Int, verifiedPasswords: VerifiedPasswords? = nil) {
        var remembered: (@Sendable (_ user: String, _ password: String) async throws -> MailboxAddress?)?
        if verifiedPasswords != nil {
            remembered = { user, password in try await directory.verifyRememberedPassword(address: user, password: password) }
        }
        self.init(maximumPending: maximumPending, verifiedPasswords: verifiedPasswords, remembered: remembered) { user, password in
            try await directory.verifyPassword(address: user, password: password)
        }
    }

    /// A blocking `check`, run on `threads`.
    convenience init(threads: NIOThreadPool, maximumPending: Int,
                     check: @escaping @Sendable (_ user: String, _ password: String) throws -> MailboxAddress?) {
        self.init(maximumPending: maximumPending) { user, password in
            try await threads.runIfActive { try check(user, password) }
        }
    }

    /// The synchronous directory, with its hashing on `threads`.
    convenience init(directory: any AccountDirectory, threads: NIOThreadPool, maximumPending: Int) {
        self.init(threads: threads, maximumPending: maximumPending) { user, password in
            try directory.verifyPassword(address: user, password: password)
        }
    }

    /// SIGHUP: applies to checks that arrive from now on.
    func update(maximumPending limit: Int) { maximumPending.withLockedValue { $0 = limit } }

    /// `[auth] cache_seconds` and `cache_size`, at start and on SIGHUP.
    func update(cache settings: VerifiedPasswords.Settings) { verifiedPasswords?.update(settings) }

    /// Checks queued or running now.
    var pendingCount: Int { pending.withLockedValue { $0.total } }

    /// `client` and `returning` decide the place in the queue (`PasswordCheckAdmission`);
    /// without a client only the overall bound applies.
    func verify(user: String, password: String, client: ClientNetwork? = nil, returning: Bool = false,
                on eventLoop: any EventLoop) -> EventLoopFuture<Verdict> {
        guard let remembered else { return verifyInFull(user: user, password: password, client: client, returning: returning, on: eventLoop) }
        return eventLoop.makeFutureWithLoopTask { try await remembered(user, password) }
            .recover { _ in nil }
            .flatMap { known in
                if let known { return eventLoop.makeSucceededFuture(.verified(known)) }
                return self.verifyInFull(user: user, password: password, client: client, returning: returning, on: eventLoop)
            }
    }

    /// The full check (yescrypt), in the bounded queue.
    private func verifyInFull(user: String, password: String, client: ClientNetwork?, returning: Bool,
                              on eventLoop: any EventLoop) -> EventLoopFuture<Verdict> {
        let limit = maximumPending.withLockedValue { $0 }
        let admitted = pending.withLockedValue { $0.admit(client, returning: returning, limit: limit) }
        guard admitted else { return eventLoop.makeSucceededFuture(.busy) }
        let check = self.check
        let verdict = eventLoop.makeFutureWithLoopTask { () -> Verdict in
            try await check(user, password).map(Verdict.verified) ?? .rejected
        }
        verdict.whenComplete { [pending] _ in pending.withLockedValue { $0.release(client) } }
        // A failed directory, or a pool shut down: nothing was checked.
        return verdict.recover { _ in .busy }
    }
}
