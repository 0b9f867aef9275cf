/// Why an exchange ended without authenticating anyone. Each protocol words it (SMTP, RFC 4954
/// §4 and §6: `*` → 501 5.0.0, bad base64 → 501 5.5.2, `.rejected` → 535 5.7.8).
public enum SASLFailure: Sendable, Equatable {
    /// The client sent `*` (RFC 4422 §3.5).
    case cancelled
    /// A response that is not base64.
    case notBase64
    /// Decoded, but not what the mechanism allows (missing fields, bad SCRAM syntax, a nonce
    /// that does not continue ours, NUL in a name, over-long values).
    case malformed
    /// Credentials refused: an authorization identity other than the login, SCRAM's GS2 flag
    /// `p` (channel binding, which Tsubame does not offer), or a wrong SCRAM proof. A wrong
    /// proof counts as a failed login for the throttle, like a wrong password.
    case rejected
}

/// What the protocol session must do next in a SASL exchange.
public enum SASLStep: Sendable, Equatable {
    /// Send this challenge (raw octets: the protocol base64-encodes them, SMTP `334 `, POP3 and
    /// IMAP `+ `) and pass the client's next line to `receive(_:)`.
    case challenge([UInt8])
    /// PLAIN and LOGIN: check this password through the authenticator. The exchange is over;
    /// the answer is the protocol's (235 / 535 / 454).
    case verifyPassword(username: String, password: String)
    /// SCRAM: fetch the user's stored credentials (made-up ones for an unknown user, so the
    /// exchange looks the same) and pass them to `credentialsFound(_:)`.
    case lookUpCredentials(username: String)
    /// SCRAM: the client's proof checked out. Tell the authenticator (it counts the success),
    /// then send `serverFinal` as a challenge (RFC 4954 §4: data with success goes in a 334)
    /// and pass the client's (empty) answer to `receive(_:)`, which returns `.succeeded`.
    case proofVerified(username: String, serverFinal: [UInt8])
    /// SCRAM: the client acknowledged the server's signature; authenticated.
    case succeeded(username: String)
    /// The exchange is over without success. `username` is known when the client got as far
    /// as naming one (for the log and the throttle).
    case failed(SASLFailure, username: String?)
}

/// The server side of one SASL exchange, protocol-independent and pure: no I/O, no clock.
/// The random SCRAM server nonce comes from the system's generator unless a test supplies one.
public struct SASLServerExchange: Sendable {
    public let mechanism: SASLMechanism

    public init(mechanism: SASLMechanism, serverNonce: String? = nil) {
        self.mechanism = mechanism
        // CONTRACT (helper "sasl"): implement.
    }

    /// `initialResponse` as sent with the command (RFC 4954 §4: base64, `=` for an empty
    /// response), or nil when there was none.
    public mutating func start(initialResponse: [UInt8]?) -> SASLStep {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }

    /// One response line from the client (base64, or `*` to cancel).
    public mutating func receive(_ line: [UInt8]) -> SASLStep {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }

    /// After `.lookUpCredentials`.
    public mutating func credentialsFound(_ credentials: SCRAMCredentials) -> SASLStep {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }
}
