import AccountDirectory
import NIOConcurrencyHelpers
import NIOCore
import TsubameConfig

/// The answer to a login attempt, the same for every protocol that checks passwords (POP3 now,
/// SMTP AUTH later); each protocol words it in its own replies.
enum LoginOutcome: Sendable, Equatable {
    case verified(MailboxAddress)
    /// Wrong password or no such account: indistinguishable, and answered after the failure
    /// delay (POP3 `-ERR [AUTH]`, SMTP `535 5.7.8`).
    case rejected
    /// This client network is locked out, of every account or of this one; the password was
    /// not checked (POP3 `-ERR [SYS/TEMP]`, SMTP `454 4.7.0`).
    case lockedOut
    /// Too many password checks pending, or the directory failed; nothing was checked, and
    /// nothing counts as a failure (POP3 `-ERR [SYS/TEMP]`, RFC 3206; SMTP `454 4.7.0`).
    case busy
}

/// Checks a login: the lockouts first (no hashing for a locked-out client), then the password
/// on the `PasswordVerifier`'s own threads, then, for a failure, the throttle's delay before
/// the answer. A success is answered at once, whatever other clients did.
final class Authenticator: Sendable {
    private let verifier: PasswordVerifier
    let throttle: SharedLoginThrottle
    let returningClients = NIOLockedValueBox(ReturningClients())
    /// Where SCRAM keys come from (`Authenticator+SCRAM`); without one, SCRAM logins are
    /// answered `.busy`.
    let credentials: (any CredentialDirectory)?

    init(verifier: PasswordVerifier, settings: AuthSettings, credentials: (any CredentialDirectory)? = nil) {
        self.verifier = verifier
        self.throttle = SharedLoginThrottle(settings: settings)
        self.credentials = credentials
        verifier.update(cache: VerifiedPasswords.Settings(seconds: settings.cacheSeconds, capacity: settings.cacheSize))
    }

    /// SIGHUP: new settings for the attempts that start from now on.
    func update(settings: AuthSettings) {
        throttle.update(settings: settings)
        verifier.update(maximumPending: settings.maxPending)
        verifier.update(cache: VerifiedPasswords.Settings(seconds: settings.cacheSeconds, capacity: settings.cacheSize))
    }

    /// `client` is the connection's IP address as text; the answer arrives on `eventLoop`.
    func authenticate(user: String, password: String, client: String,
                      on eventLoop: any EventLoop) -> EventLoopFuture<LoginOutcome> {
        let network = ClientNetwork(address: client)
        if throttle.isLockedOut(client: network, account: user, now: Self.now()) {
            return eventLoop.makeSucceededFuture(.lockedOut)
        }
        let throttle = self.throttle
        let returningClients = self.returningClients
        let returning = returningClients.withLockedValue { $0.contains(network, now: Self.now()) }
        return verifier.verify(user: user, password: password, client: network, returning: returning,
                               on: eventLoop).flatMap { verdict in
            switch verdict {
            case .verified(let mailbox):
                throttle.recordSuccess(client: network, account: user)
                returningClients.withLockedValue { $0.recordSuccess(network, now: Self.now()) }
                return eventLoop.makeSucceededFuture(.verified(mailbox))
            case .busy:
                return eventLoop.makeSucceededFuture(.busy)
            case .rejected:
                // Known or not, the same count and the same wait: timing tells nothing.
                let delay = throttle.recordFailure(client: network, account: user, now: Self.now())
                return eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) { LoginOutcome.rejected }.futureResult
            }
        }
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
