import AccountDirectory
import NIOCore

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
        // CONTRACT (helper "sasl"): implement over CredentialDirectory.scramCredentials.
        fatalError("unimplemented")
    }

    /// `proofVerified` is the exchange's verdict; a made-up record (`mailbox` nil) never verifies.
    func finishSCRAM(user: String, lookup: SCRAMLookup, proofVerified: Bool, client: String,
                     on eventLoop: any EventLoop) -> EventLoopFuture<LoginOutcome> {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }
}
