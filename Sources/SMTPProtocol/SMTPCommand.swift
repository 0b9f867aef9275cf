/// The body type declared with MAIL's BODY parameter (RFC 6152).
public enum SMTPBodyType: Sendable, Equatable {
    case sevenBit
    case eightBitMIME
}

/// A parsed SMTP command (RFC 5321 §4.1.1 and the extensions Tsubame advertises).
public enum SMTPCommand: Equatable, Sendable {
    case helo(String)
    case ehlo(String)
    case mail(SMTPReversePath, [SMTPParameter])
    case rcpt(SMTPMailbox, [SMTPParameter])
    case data
    /// BDAT chunk-size [LAST] (RFC 3030 §2); `size` octets follow the command line.
    case bdat(size: Int, last: Bool)
    case rset
    case noop
    case quit
    case vrfy(String)
    case help
    /// STARTTLS (RFC 3207).
    case starttls
    /// AUTH mechanism [initial-response] (RFC 4954 §4). The mechanism name is uppercased; the
    /// initial response is kept as sent (base64, or "=" for an empty one) for the SASL exchange.
    case auth(mechanism: String, initialResponse: [UInt8]?)
    /// A verb that exists but that Tsubame does not offer (EXPN, TURN, ...): 502.
    case notImplemented(String)
    case unknown(String)
}

/// Why a command line could not be parsed; the session turns it into a 501 reply.
public struct SMTPCommandSyntaxError: Error, Equatable, Sendable {
    public var verb: String
    public var reason: String

    public init(verb: String, reason: String) {
        self.verb = verb
        self.reason = reason
    }
}
