import NIOCore
import ProtocolSupport

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

    /// Octets in a reply line including CRLF. RFC 5321 §4.5.3.1.5 sets 512 for SMTP replies;
    /// real servers exceed it in EHLO replies, so allow more but stay bounded.
    public static let maximumLineLength = 4096
    /// Lines in one multi-line SMTP reply (an EHLO reply lists a dozen extensions at most).
    public static let maximumReplyLines = 100
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
    private var framer = CommandLineFramer(maximumLineLength: PreludeDialog.maximumLineLength)
    private var pending = ByteBuffer()
    /// The lines of the SMTP reply read so far, while it continues ("250-...").
    private var replyLines: [SMTPReplyLine] = []

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
                action = try handle(line)
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

    private mutating func handle(_ line: [UInt8]) throws -> Action {
        switch state {
        case .smtpGreeting, .smtpEHLO, .smtpStartTLS:
            guard let reply = try collectSMTPReply(line) else { return .wait }
            return try handleSMTP(reply)
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
        case .finished:
            throw PreludeError("the server sent data after agreeing to TLS, before the handshake; refusing it (plaintext injected ahead of TLS, as in CVE-2011-0411)")
        }
    }

    /// A POP3 status indicator: "+OK" or "-ERR", alone or followed by a space (RFC 1939 §3).
    static func isStatus(_ line: [UInt8], _ indicator: String) -> Bool {
        let prefix = Array(indicator.utf8)
        return line.starts(with: prefix) && (line.count == prefix.count || line[prefix.count] == UInt8(ascii: " "))
    }

    // MARK: SMTP

    /// One line of an SMTP reply: "250-text" (more follow) or "250 text" / "250" (the last).
    struct SMTPReplyLine: Equatable, Sendable {
        var code: Int
        var isLast: Bool
        var text: String
        var raw: [UInt8]
    }

    /// Reply-line = Reply-code [ SP / "-" textstring ] CRLF; Reply-code = %x32-35 %x30-35 %x30-39
    /// (RFC 5321 §4.2).
    static func parseReplyLine(_ line: [UInt8]) -> SMTPReplyLine? {
        guard line.count >= 3, line.prefix(3).allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let code = line.prefix(3).reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard (200...599).contains(code) else { return nil }
        if line.count == 3 { return SMTPReplyLine(code: code, isLast: true, text: "", raw: line) }
        let separator = line[3]
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else { return nil }
        return SMTPReplyLine(code: code, isLast: separator == UInt8(ascii: " "),
                             text: String(decoding: line[4...], as: UTF8.self), raw: line)
    }

    /// Adds a line to the reply being read; returns the whole reply once its last line came.
    private mutating func collectSMTPReply(_ line: [UInt8]) throws -> [SMTPReplyLine]? {
        guard let parsed = Self.parseReplyLine(line) else {
            throw PreludeError("the server sent a malformed SMTP reply line while sending \(waitingFor): \(Self.quote(line))")
        }
        // RFC 5321 §4.2.1: every line of a multi-line reply carries the same code.
        if let first = replyLines.first, first.code != parsed.code {
            throw PreludeError("the server changed the reply code within one reply (\(first.code), then \(parsed.code)): \(Self.quote(line))")
        }
        replyLines.append(parsed)
        guard replyLines.count <= Self.maximumReplyLines else {
            throw PreludeError("the server's reply (\(waitingFor)) has more than \(Self.maximumReplyLines) lines")
        }
        guard parsed.isLast else { return nil }
        defer { replyLines = [] }
        return replyLines
    }

    private mutating func handleSMTP(_ reply: [SMTPReplyLine]) throws -> Action {
        let code = reply[0].code
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
            let extensions = reply.dropFirst().map(\.text)
            let offers = extensions.contains { text in
                text.split(separator: " ", maxSplits: 1).first.map { $0.uppercased() == "STARTTLS" } ?? false
            }
            guard offers else {
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

    static func quote(_ reply: [SMTPReplyLine]) -> String {
        let shown = reply.prefix(3).map { quote($0.raw) }.joined(separator: " ")
        return reply.count > 3 ? shown + " (and \(reply.count - 3) more lines)" : shown
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
