import NIOCore
import ProtocolSupport

/// An SMTP reply: a three-digit code (RFC 5321 §4.2), an enhanced status code
/// (RFC 3463, advertised as ENHANCEDSTATUSCODES per RFC 2034) and one or more text lines.
public struct SMTPReply: Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    /// "x.y.z" without the class digit repeated elsewhere; nil only for the greeting and
    /// EHLO's first line, which RFC 2034 §3 exempts.
    public var enhanced: String?
    public var lines: [String]

    public init(_ code: Int, _ enhanced: String?, _ lines: [String]) {
        self.code = code
        self.enhanced = enhanced
        self.lines = lines
    }

    public init(_ code: Int, _ enhanced: String?, _ text: String) {
        self.init(code, enhanced, [text])
    }

    public var description: String {
        lines.isEmpty ? "\(code)" : "\(code) \(enhanced.map { "\($0) " } ?? "")\(lines[0])"
    }
}

extension ByteBuffer {
    /// Encodes a reply: every line but the last uses "code-", the last "code " (RFC 5321 §4.2.1).
    /// Replies are ours, so they are ASCII and never contain CR or LF.
    @discardableResult
    public mutating func writeSMTPReply(_ reply: SMTPReply) -> Int {
        var written = 0
        let lines = reply.lines.isEmpty ? [""] : reply.lines
        for (index, line) in lines.enumerated() {
            written += writeString(String(reply.code))
            written += writeInteger(index == lines.count - 1 ? UInt8(ascii: " ") : UInt8(ascii: "-"))
            if let enhanced = reply.enhanced {
                written += writeString(enhanced)
                written += writeInteger(UInt8(ascii: " "))
            }
            written += writeString(line)
            written += writeStaticString("\r\n")
        }
        return written
    }
}

/// The replies Tsubame sends, named, with the rule each one follows.
extension SMTPReply {
    public static func greeting(hostname: String) -> SMTPReply {
        SMTPReply(220, nil, "\(hostname) ESMTP Tsubame")
    }
    public static let ok = SMTPReply(250, "2.0.0", "OK")
    public static let senderOK = SMTPReply(250, "2.1.0", "Sender OK")
    public static let recipientOK = SMTPReply(250, "2.1.5", "Recipient OK")
    public static let resetOK = SMTPReply(250, "2.0.0", "Reset OK")
    public static let noopOK = SMTPReply(250, "2.0.0", "OK")
    public static let startData = SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>")
    public static func bye(hostname: String) -> SMTPReply { SMTPReply(221, "2.0.0", "\(hostname) closing connection") }
    /// RFC 5321 §3.5.3: 252 when the server will not verify; it never reveals whether an account exists.
    public static let cannotVerify = SMTPReply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")
    public static let help = SMTPReply(214, "2.0.0", ["Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP",
                                                      "See RFC 5321"])

    public static let unknownCommand = SMTPReply(500, "5.5.1", "Command unrecognized")
    public static let lineTooLong = SMTPReply(500, "5.5.2", "Line too long: commands are limited to 512 octets (RFC 5321 §4.5.3.1.4)")
    public static let bareLineEndingInCommand = SMTPReply(500, "5.5.2", "Bare CR or LF in command: lines must end with CRLF (RFC 5321 §2.3.8)")
    public static func syntaxError(_ why: String) -> SMTPReply { SMTPReply(501, "5.5.4", "Syntax error: \(why)") }
    public static func badSequence(_ why: String) -> SMTPReply { SMTPReply(503, "5.5.1", "Bad sequence of commands: \(why)") }
    public static func parameterNotImplemented(_ name: String) -> SMTPReply {
        SMTPReply(555, "5.5.4", "Unsupported parameter \(name)")
    }

    /// RFC 3207 §4 on a listener that requires TLS.
    public static let tlsRequired = SMTPReply(530, "5.7.0", "Must issue a STARTTLS command first")
    public static let unknownUser = SMTPReply(550, "5.1.1", "Recipient address rejected: no such user here")
    public static let relayDenied = SMTPReply(554, "5.7.1", "Relay access denied")
    public static let tooManyRecipients = SMTPReply(452, "4.5.3", "Too many recipients")
    public static let nonASCIIWithoutSMTPUTF8 = SMTPReply(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter (RFC 6531 §3.4)")
    public static let messageTooBig = SMTPReply(552, "5.3.4", "Message size exceeds fixed maximum message size")
    public static let bareLineEndingInMessage = SMTPReply(554, "5.6.0", "Message rejected: bare CR or LF in message; lines must end with CRLF (RFC 5321 §2.3.8)")
    public static let messageLineTooLong = SMTPReply(554, "5.6.0", "Message rejected: line longer than 998 octets (RFC 5321 §4.5.3.1.6)")
    public static let storageFailed = SMTPReply(451, "4.3.0", "Local error in processing: message not stored, try again later")
    public static let directoryUnavailable = SMTPReply(451, "4.3.0", "Temporary lookup failure, try again later")
    public static let noValidRecipients = SMTPReply(554, "5.5.1", "No valid recipients")
    /// Message content sent before the 354 (RFC 2920 §3.1); Postfix's wording, then the connection closes.
    public static let synchronizationError = SMTPReply(
        554, "5.5.0", "Error: SMTP protocol synchronization: data sent before the 354 reply")

    public static func tooManyErrors(hostname: String) -> SMTPReply {
        SMTPReply(421, "4.7.0", "\(hostname) Too many errors, closing connection")
    }
    public static func tooManyConnections(hostname: String) -> SMTPReply {
        SMTPReply(421, "4.7.0", "\(hostname) Too many connections, try again later")
    }
    public static func shuttingDown(hostname: String) -> SMTPReply {
        SMTPReply(421, "4.3.2", "\(hostname) Service shutting down, closing connection")
    }
    public static func timeout(hostname: String) -> SMTPReply {
        SMTPReply(421, "4.4.2", "\(hostname) Timeout exceeded, closing connection")
    }

    // MARK: SMTP AUTH (RFC 4954 §4, §6) and submission (RFC 6409)

    /// A SASL challenge: "334 " and the base64 octets, "334 " alone for an empty one; no
    /// enhanced code (RFC 4954 §4: the text is the challenge).
    public static func authenticationChallenge(_ octets: [UInt8]) -> SMTPReply {
        SMTPReply(334, nil, Base64.encode(octets))
    }
    public static let authenticationSucceeded = SMTPReply(235, "2.7.0", "Authentication successful")
    public static let authenticationFailed = SMTPReply(535, "5.7.8", "Authentication credentials invalid")
    public static let authenticationTemporaryFailure = SMTPReply(454, "4.7.0", "Temporary authentication failure")
    public static let authenticationNotBase64 = SMTPReply(501, "5.5.2", "Cannot decode the response as base64")
    public static let authenticationCancelled = SMTPReply(501, "5.0.0", "Authentication cancelled")
    /// A response that decodes but is not what the mechanism allows. Not 535: nothing was
    /// checked, so no credentials were found invalid; it is a syntax error of the response,
    /// 5.5.2 as RFC 4954 §4 uses it for undecodable base64 (RFC 3463 §3.6).
    public static let authenticationMalformed = SMTPReply(501, "5.5.2", "Malformed authentication response")
    /// RFC 4954 §6: a response longer than the mechanism allows.
    public static let authenticationLineTooLong = SMTPReply(500, "5.5.6", "Authentication exchange line is too long")
    public static let unknownMechanism = SMTPReply(504, "5.5.4", "Unrecognized authentication mechanism")
    /// RFC 4954 §6 (538) on a listener that offers AUTH only inside TLS.
    public static let encryptionRequiredForAuthentication = SMTPReply(
        538, "5.7.11", "Encryption required for requested authentication mechanism")
    /// RFC 4954 §6: MAIL before AUTH where submission requires it (RFC 6409 §4.3).
    public static let authenticationRequired = SMTPReply(530, "5.7.0", "Authentication required")
    /// RFC 6409 §4.1 and RFC 3463 §3.8 (5.7.1, delivery not authorized): the envelope sender
    /// must be one the account may use. The text names the rule, not the account's addresses.
    public static let senderNotOwned = SMTPReply(
        550, "5.7.1", "Sender address rejected: not an address this login may send as")
    public static let headerSenderNotOwned = SMTPReply(
        550, "5.7.1", "Message rejected: an address in the From header is not one this login may send as")
    public static let headerSenderUnreadable = SMTPReply(
        550, "5.7.1", "Message rejected: the From header cannot be read, so the sender cannot be checked")
    /// RFC 3463 §3.8 (4.7.1 here: the same message is accepted later).
    public static let messageLimitReached = SMTPReply(
        450, "4.7.1", "Sending limit reached: too many messages in the last hour, try again later")
    public static let recipientLimitReached = SMTPReply(
        450, "4.7.1", "Sending limit reached: too many recipients for this login, try again later")

    public static func accepted(id: String) -> SMTPReply { SMTPReply(250, "2.0.0", "OK: queued as \(id)") }
    public static func chunkAccepted(octets: Int) -> SMTPReply { SMTPReply(250, "2.0.0", "\(octets) octets received") }
}
