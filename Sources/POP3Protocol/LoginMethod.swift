import SASL

/// How a client logged in, for the log: USER/PASS (RFC 1939 §7) or a SASL mechanism (RFC 5034).
public enum LoginMethod: Sendable, Equatable {
    case userPass
    case sasl(SASLMechanism)

    /// The `sasl_method` log field: the mechanism's name, "USER" for USER/PASS. SMTP logs the
    /// same names, so one fail2ban filter matches both.
    public var logName: String {
        switch self {
        case .userPass: return "USER"
        case .sasl(let mechanism): return mechanism.rawValue
        }
    }
}
