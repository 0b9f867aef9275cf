/// Why the framer dropped a command (or the connection), with the text for the BAD/NO reply.
public enum IMAPFramingError: Error, Equatable, Sendable {
    /// A line passed `IMAPLimits.maximumLineLength`.
    case lineTooLong
    /// The lines and inline literals of one command passed `IMAPLimits.maximumCommandSize`.
    case commandTooLarge
    /// A literal announced more octets than APPENDLIMIT (RFC 7889) allows.
    case literalTooLarge(Int)
    /// More literals than `IMAPLimits.maximumLiteralCount` in one command.
    case tooManyLiterals
    /// `~{n}` (RFC 3516 BINARY), which this server does not advertise.
    case binaryLiteral

    public var text: String {
        switch self {
        case .lineTooLong: return "Command line too long"
        case .commandTooLarge: return "Command too large"
        case .literalTooLarge(let size): return "Literal of \(size) octets is larger than the limit"
        case .tooManyLiterals: return "Too many literals in one command"
        case .binaryLiteral: return "Binary literals are not supported"
        }
    }

    /// The response code for the refusal: TOOBIG (RFC 4469 §4.2, RFC 7889) for an oversize
    /// literal, LIMIT (RFC 5530) for the other bounds, none for what is merely unsupported.
    public var responseCode: IMAPResponseCode? {
        switch self {
        case .literalTooLarge: return .tooBig
        case .lineTooLong, .commandTooLarge, .tooManyLiterals: return .limit
        case .binaryLiteral: return nil
        }
    }
}
