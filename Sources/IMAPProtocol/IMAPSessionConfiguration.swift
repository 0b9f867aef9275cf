import SASL

/// What one IMAP connection's session core is told at its start: the bounds and what the
/// listener and its TLS allow.
public struct IMAPSessionConfiguration: Sendable, Equatable {
    /// BAD responses before the session is closed with `* BYE`.
    public var maximumErrors: Int
    /// LOGIN and AUTHENTICATE send the password (or, for SCRAM, a login) in the clear: allowed
    /// only over TLS, or where the `allow_plaintext` policy says so (RFC 3501 §6.2.3, RFC 2595 §2.2).
    public var plaintextAllowed: Bool
    /// STARTTLS can be offered (a certificate is loaded and the listener allows it).
    public var starttlsAvailable: Bool
    public var tlsActive: Bool
    /// APPENDLIMIT (RFC 7889), the largest literal after login.
    public var appendLimit: Int

    public init(maximumErrors: Int = 20, plaintextAllowed: Bool, starttlsAvailable: Bool = false,
                tlsActive: Bool = false, appendLimit: Int = 52_428_800) {
        self.maximumErrors = maximumErrors
        self.plaintextAllowed = plaintextAllowed || tlsActive
        self.starttlsAvailable = starttlsAvailable
        self.tlsActive = tlsActive
        self.appendLimit = appendLimit
    }
}

/// How a client logged in, for the log's `sasl_method`: the LOGIN command or a SASL mechanism.
public enum IMAPLoginMethod: Sendable, Equatable {
    case login
    case sasl(SASLMechanism)

    public var logName: String {
        switch self {
        case .login: return "LOGIN"
        case .sasl(let mechanism): return mechanism.rawValue
        }
    }
}

/// Why the credentials were not checked, or the account could not be opened after they were.
public enum IMAPLoginRefusal: Sendable, Equatable {
    /// Too many failed logins from this client or for this user.
    case lockedOut
    /// The directory is busy, or the mail store failed.
    case unavailable
    /// The user has this many sessions from this address already (Dovecot's
    /// mail_max_userip_connections, whose answer this mirrors).
    case tooManyUserConnections(Int)
}
