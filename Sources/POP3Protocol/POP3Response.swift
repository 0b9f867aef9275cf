import NIOCore

/// A POP3 status line: "+OK text" or "-ERR [CODE] text" (RFC 1939 §3, response codes RFC 2449 §8).
public struct POP3Response: Equatable, Sendable {
    public enum Code: String, Sendable {
        case inUse = "IN-USE"
        case loginDelay = "LOGIN-DELAY"
        case auth = "AUTH"            // RFC 3206: the credentials are wrong
        case systemTemporary = "SYS/TEMP"
        case systemPermanent = "SYS/PERM"
    }

    public var isOK: Bool
    public var code: Code?
    public var text: String

    public static func ok(_ text: String) -> POP3Response { POP3Response(isOK: true, code: nil, text: text) }
    public static func error(_ text: String, code: Code? = nil) -> POP3Response { POP3Response(isOK: false, code: code, text: text) }

    public static let greeting = ok("Tsubame POP3 ready")
    public static let authenticationFailed = error("Authentication failed", code: .auth)
    public static let plaintextDisallowed = error("Plaintext authentication disallowed on non-secure connections", code: .auth)
    public static let wrongState = error("Command not valid in this state")
    public static let unknownCommand = error("Unknown command")
    public static let lineTooLong = error("Line too long: commands are limited to 255 octets (RFC 2449 §4)")
    public static let bareLineEnding = error("Lines must end with CRLF")
    public static let noSuchMessage = error("No such message")
    public static let messageDeleted = error("Message is deleted")
    public static let mailboxInUse = error("Mailbox is locked by another POP3 session", code: .inUse)
    public static let temporaryFailure = error("Temporary server failure, try again later", code: .systemTemporary)
    public static let tooManyErrors = error("Too many errors, closing connection")
    public static let timeout = error("Idle timeout, closing connection")
    public static let shuttingDown = error("Server shutting down", code: .systemTemporary)
    public static let tooManyConnections = error("Too many connections, try again later", code: .systemTemporary)
    public static let lockedOut = error("Too many failed logins, try again later", code: .systemTemporary)
}

extension ByteBuffer {
    @discardableResult
    public mutating func writePOP3Response(_ response: POP3Response) -> Int {
        var written = writeString(response.isOK ? "+OK" : "-ERR")
        if let code = response.code { written += writeString(" [\(code.rawValue)]") }
        if !response.text.isEmpty { written += writeString(" \(response.text)") }
        written += writeStaticString("\r\n")
        return written
    }

    /// A short multi-line body given as lines: dot-stuffed, then the terminating ".".
    @discardableResult
    public mutating func writePOP3Lines(_ lines: [String]) -> Int {
        var written = 0
        for line in lines {
            if line.hasPrefix(".") { written += writeStaticString(".") }
            written += writeString(line)
            written += writeStaticString("\r\n")
        }
        return written + writeStaticString(".\r\n")
    }
}
