import NIOCore
import ProtocolSupport
import SMTPProtocol

/// The plaintext protocol spoken before the TLS handshake, when the port is not implicit TLS.
public enum StartTLSProtocol: String, Sendable, CaseIterable, CustomStringConvertible {
    /// SMTP STARTTLS (RFC 3207).
    case smtp
    /// POP3 STLS (RFC 2595 §4).
    case pop3

    public var description: String { rawValue }
}

/// Why the plaintext dialog before TLS failed, as a sentence quoting what the server said.
public struct PreludeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The client side of the plaintext dialog that ends in a TLS handshake: a pure state machine
/// fed with the bytes the server sends, answering with what to do next. No sockets, no clocks.
///
/// SMTP (RFC 3207 §4): read the 220 greeting, send EHLO, require STARTTLS among the extensions of
/// the 250 reply, send STARTTLS, require 220. POP3 (RFC 2595 §4): read the +OK greeting, send
/// STLS, require +OK.
public struct PreludeDialog: Sendable {
    public enum Action: Equatable, Sendable {
        /// Nothing to do until more bytes arrive.
        case wait
        /// Write this command line (the caller adds CRLF).
        case send(String)
        /// The server agreed: start the TLS handshake now, before reading anything else.
        case startTLS
    }

    /// Octets in a line including CRLF: the SMTP reply reader's bound (RFC 5321 §4.5.3.1.5 sets
    /// 512; real servers exceed it in EHLO replies), used for POP3 lines too.
    public static let maximumLineLength = SMTPReplyReader.maximumLineLength
    /// Lines in one multi-line SMTP reply.
    public static let maximumReplyLines = SMTPReplyReader.maximumLines
    /// How much of a server's line an error message quotes.
    static let quotedLength = 200

    enum State: Equatable, Sendable {
        case smtpGreeting, smtpEHLO, smtpStartTLS
        case pop3Greeting, pop3STLS
        case finished
    }

    public let protocolName: StartTLSProtocol
    private let clientName: String
    private(set) var state: State
    /// POP3 lines (RFC 1939 §3).
    private var framer = CommandLineFramer(maximumLineLength: PreludeDialog.maximumLineLength)
    private var pending = ByteBuffer()
    /// SMTP replies, with the grammar the outbound client shares (RFC 5321 §4.2).
    private var replyReader = SMTPReplyReader()

    /// `clientName` is the EHLO argument: a domain or an address literal (RFC 5321 §4.1.1.1).
    public init(protocol: StartTLSProtocol, clientName: String) {
        self.protocolName = `protocol`
        self.clientName = clientName
        self.state = `protocol` == .smtp ? .smtpGreeting : .pop3Greeting
    }

    /// What the dialog waits for, for "closed while waiting for ..." and timeout messages.
    public var waitingFor: String {
        switch state {
        case .smtpGreeting: return "the SMTP greeting"
        case .smtpEHLO: return "the reply to EHLO"
        case .smtpStartTLS: return "the reply to STARTTLS"
        case .pop3Greeting: return "the POP3 greeting"
        case .pop3STLS: return "the reply to STLS"
        case .finished: return "the TLS handshake"
        }
    }

    /// Feeds bytes from the server. Returns the first action the complete lines call for;
    /// after `.startTLS` no byte may follow (they would be plaintext injected ahead of TLS).
    public mutating func receive(_ bytes: ByteBuffer) throws -> Action {
        guard state != .finished else {
            throw PreludeError("the server sent data after agreeing to TLS, before the handshake; refusing it (plaintext injected ahead of TLS, as in CVE-2011-0411)")
        }
        switch state {
        case .smtpGreeting, .smtpEHLO, .smtpStartTLS:
            replyReader.append(bytes)
            while let reply = try nextSMTPReply() {
                let action = try handleSMTP(reply)
                if action == .startTLS, replyReader.bufferedOctets > 0 {
                    throw PreludeError("the server sent data after agreeing to TLS, before the handshake; refusing it (plaintext injected ahead of TLS, as in CVE-2011-0411)")
                }
                if action != .wait { return action }
            }
            return .wait
        case .pop3Greeting, .pop3STLS, .finished:
            return try receivePOP3(bytes)
        }
    }

    private mutating func nextSMTPReply() throws -> SMTPReply? {
        do throws(SMTPReplyReadError) {
            return try replyReader.nextReply()
        } catch {
            switch error {
            case .lineTooLong:
                throw PreludeError("the server sent a line longer than \(Self.maximumLineLength) octets while sending \(waitingFor)")
            case .bareLineEnding:
                throw PreludeError("the server ended a line with a bare LF or CR instead of CRLF while sending \(waitingFor)")
            case .malformedLine(let line):
                throw PreludeError("the server sent a malformed SMTP reply line while sending \(waitingFor): \(Self.quote(line))")
            case .codeChanged(let first, let then, let line):
                throw PreludeError("the server changed the reply code within one reply (\(first), then \(then)): \(Self.quote(line))")
            case .tooManyLines:
                throw PreludeError("the server's reply (\(waitingFor)) has more than \(Self.maximumReplyLines) lines")
            }
        }
    }

    private mutating func receivePOP3(_ bytes: ByteBuffer) throws -> Action {
        var bytes = bytes
        pending.writeBuffer(&bytes)
        while true {
            // The framer would skip an over-long line silently up to its end; a probe stops at once.
            if pending.readableBytes >= Self.maximumLineLength,
               !pending.readableBytesView.prefix(Self.maximumLineLength).contains(UInt8(ascii: "\n")) {
                throw PreludeError("the server sent a line longer than \(Self.maximumLineLength) octets while sending \(waitingFor)")
            }
            guard let event = framer.next(from: &pending) else { break }
            let action: Action
            switch event {
            case .line(let line):
                action = try handlePOP3(line)
            case .lineTooLong:
                throw PreludeError("the server sent a line longer than \(Self.maximumLineLength) octets while sending \(waitingFor)")
            case .bareLineEnding:
                throw PreludeError("the server ended a line with a bare LF or CR instead of CRLF while sending \(waitingFor)")
            }
            if action == .startTLS, pending.readableBytes > 0 {
                throw PreludeError("the server sent data after agreeing to TLS, before the handshake; refusing it (plaintext injected ahead of TLS, as in CVE-2011-0411)")
            }
            if action != .wait { return action }
        }
        return .wait
    }

    private mutating func handlePOP3(_ line: [UInt8]) throws -> Action {
        switch state {
        case .pop3Greeting:
            guard Self.isStatus(line, "+OK") else {
                throw PreludeError("the server's POP3 greeting is not +OK: \(Self.quote(line))")
            }
            state = .pop3STLS
            return .send("STLS")
        case .pop3STLS:
            if Self.isStatus(line, "+OK") {
                state = .finished
                return .startTLS
            }
            if Self.isStatus(line, "-ERR") {
                throw PreludeError("the server refused STLS: \(Self.quote(line))")
            }
            throw PreludeError("the server's reply to STLS is neither +OK nor -ERR: \(Self.quote(line))")
        case .smtpGreeting, .smtpEHLO, .smtpStartTLS, .finished:
            throw PreludeError("the server sent data after agreeing to TLS, before the handshake; refusing it (plaintext injected ahead of TLS, as in CVE-2011-0411)")
        }
    }

    /// A POP3 status indicator: "+OK" or "-ERR", alone or followed by a space (RFC 1939 §3).
    static func isStatus(_ line: [UInt8], _ indicator: String) -> Bool {
        let prefix = Array(indicator.utf8)
        return line.starts(with: prefix) && (line.count == prefix.count || line[prefix.count] == UInt8(ascii: " "))
    }

    // MARK: SMTP

    private mutating func handleSMTP(_ reply: SMTPReply) throws -> Action {
        let code = reply.code
        switch state {
        case .smtpGreeting:
            guard code == 220 else {
                throw PreludeError("the server did not greet with 220 (RFC 5321 §4.3.1): \(Self.quote(reply))")
            }
            state = .smtpEHLO
            return .send("EHLO \(clientName)")
        case .smtpEHLO:
            guard code == 250 else { throw PreludeError("the server refused EHLO: \(Self.quote(reply))") }
            // The first line names the server; each further line is one extension keyword and
            // its parameters (RFC 5321 §4.1.1.1).
            let extensions = reply.lines.dropFirst()
            guard SMTPServerCapabilities(ehloReply: reply.lines).startTLS else {
                let listed = extensions.isEmpty ? "none" : extensions.map { Self.clip($0) }.joined(separator: ", ")
                throw PreludeError("the server does not offer STARTTLS (its EHLO extensions: \(listed))")
            }
            state = .smtpStartTLS
            return .send("STARTTLS")
        case .smtpStartTLS:
            guard code == 220 else { throw PreludeError("the server refused STARTTLS: \(Self.quote(reply))") }
            state = .finished
            return .startTLS
        case .pop3Greeting, .pop3STLS, .finished:
            preconditionFailure("an SMTP reply in state \(state)")
        }
    }

    // MARK: quoting what the server said

    /// The server's line as printable text: control characters escaped, long lines clipped.
    static func quote(_ line: [UInt8]) -> String {
        "\"" + clip(String(decoding: line, as: UTF8.self)) + "\""
    }

    /// The reply's lines as they were on the wire (the reader's parse undone by the writer).
    static func quote(_ reply: SMTPReply) -> String {
        var wire = ByteBuffer()
        wire.writeSMTPReply(reply)
        let lines = String(buffer: wire).split(separator: "\r\n").map { Array($0.utf8) }
        let shown = lines.prefix(3).map { quote($0) }.joined(separator: " ")
        return lines.count > 3 ? shown + " (and \(lines.count - 3) more lines)" : shown
    }

    static func clip(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(quotedLength) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > quotedLength ? out + "..." : out
    }
}
