import AccountDirectory
import NIOCore
import ProtocolSupport

/// The first step of a SCRAM login, before any proof exists.
enum SCRAMLookupOutcome: Sendable, Equatable {
    /// The user's keys, or made-up ones for an unknown user (`mailbox` nil then).
    case found(SCRAMLookup)
    /// This client network is locked out: nothing was looked up (POP3 `-ERR [SYS/TEMP]`, SMTP 454 4.7.0).
    case lockedOut
    /// The directory failed or is overloaded (454 4.7.0).
    case busy
}

/// SCRAM (RFC 5802) under the same rules as a password: the lockout is checked before the
/// lookup; a wrong proof counts and waits like a wrong password; a right one is a success for
/// the throttle and the returning-client reserve.
extension Authenticator {
    func lookUpSCRAM(user: String, client: String, on eventLoop: any EventLoop) -> EventLoopFuture<SCRAMLookupOutcome> {
        // As for a password: a locked-out network learns nothing, not even the salt.
        if throttle.isLockedOut(client: ClientNetwork(address: client), account: user, now: Self.now()) {
            return eventLoop.makeSucceededFuture(.lockedOut)
        }
        guard let credentials else { return eventLoop.makeSucceededFuture(.busy) }
        // The directory is async and does its own I/O elsewhere; the event loop only waits.
        return eventLoop.makeFutureWithLoopTask { () -> SCRAMLookupOutcome in
            .found(try await credentials.scramCredentials(address: user))
        }.recover { _ in .busy }
    }

    /// `proofVerified` is the exchange's verdict; a made-up record (`mailbox` nil) never verifies.
    func finishSCRAM(user: String, lookup: SCRAMLookup, proofVerified: Bool, client: String,
                     on eventLoop: any EventLoop) -> EventLoopFuture<LoginOutcome> {
        let network = ClientNetwork(address: client)
        if proofVerified, let mailbox = lookup.mailbox {
            throttle.recordSuccess(client: network, account: user)
            returningClients.withLockedValue { $0.recordSuccess(network, now: Self.now()) }
            return eventLoop.makeSucceededFuture(.verified(mailbox))
        }
        // Unknown user or wrong proof: the same count and the same wait as a wrong password.
        let delay = throttle.recordFailure(client: network, account: user, now: Self.now())
        return eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) { LoginOutcome.rejected }.futureResult
    }
}
