import FuzzSupport
import NIOCore
import ProtocolSupport
import SMTPProtocol

/// The SMTP command grammar and the session state machine on arbitrary command streams.
///
/// Input: one byte of session settings, four bytes of answers for the session's questions
/// (directory verdicts, content problems, storage results), then the client's byte stream,
/// cut into lines by the CRLF framer as the server does.
///
/// Per line:
/// - the parser never traps;
/// - a recognised command encodes back to a line that parses to the same command (paths are
///   re-quoted from `SMTPMailbox.description`, so its quoting is checked too);
/// - a verb is recognised only when its bytes spell it in ASCII, any case (RFC 5321 §2.4);
/// - DSN parameter values (RFC 3461 §4) that parse read back from their own text.
/// Per session (see `SessionDriver`): every reply is well formed, and nothing is accepted
/// out of order or before TLS when TLS is required.
func fuzzSMTPCommand(_ input: FuzzInput) {
    var input = input
    let settings = input.byte()
    let answers = (0..<4).map { _ in input.byte() }
    let stream = input.rest()

    var driver = SessionDriver(settings: settings, answers: answers)
    var framer = CommandLineFramer(maximumLineLength: SMTPLineLimits.framerLimit)
    var buffer = ByteBuffer(bytes: stream)
    while driver.isOpen, let event = framer.next(from: &buffer) {
        if driver.expectsSASLResponse {
            // RFC 4954 §4: inside AUTH the lines are SASL responses, not commands.
            switch event {
            case .line(let line): driver.receiveSASLResponse(line)
            case .lineTooLong: driver.receiveSASLResponseTooLong()
            case .bareLineEnding: driver.receiveSASLBareLineEnding()
            }
            continue
        }
        switch event {
        case .line(let line) where !SMTPLineLimits.permits(line, saslResponse: false):
            driver.receiveLineTooLong()
        case .line(let line):
            let parsed = SMTPCommandParser.parse(line)
            checkParse(line, parsed)
            driver.receive(parsed)
        case .lineTooLong:
            driver.receiveLineTooLong()
        case .bareLineEnding:
            driver.receiveBareLineEnding()
        }
    }
}

private func checkParse(_ line: [UInt8], _ parsed: Result<SMTPCommand, SMTPCommandSyntaxError>) {
    guard case .success(let command) = parsed else { return }
    if let verb = recognisedVerb(command) {
        let wireVerb = line.prefix { $0 != UInt8(ascii: " ") }
        let upper = wireVerb.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) ? $0 - 32 : $0 }
        precondition(upper == Array(verb.utf8), "verb \(verb) recognised from \(wireVerb)")
    }
    let encoded = encode(command)
    let reparsed = SMTPCommandParser.parse(Array(encoded.utf8))
    precondition(reparsed == .success(command),
                 "round trip: \(line) parsed to \(command), encoded as \(Array(encoded.utf8)), parsed back to \(reparsed)")
    switch command {
    case .mail(_, let parameters), .rcpt(_, let parameters): checkDSNValues(parameters)
    default: break
    }
}

/// RFC 3461 §4: a DSN value that parses has one text that parses back to it (NOTIFY's
/// canonical order; ORCPT and ENVID exactly as received), and a valid ENVID or ORCPT decodes.
private func checkDSNValues(_ parameters: [SMTPParameter]) {
    for parameter in parameters {
        guard let value = parameter.value else { continue }
        switch parameter.keyword {
        case "NOTIFY":
            guard let notify = DSNNotify(parameterValue: value) else { continue }
            precondition(DSNNotify(parameterValue: notify.parameterValue) == notify, "NOTIFY \(value) does not round-trip")
        case "ORCPT":
            guard let original = DSNOriginalRecipient(parameterValue: value) else { continue }
            precondition(original.parameterValue == value, "ORCPT \(value) kept as \(original.parameterValue)")
            precondition(XText.decode(original.xtext)!.count <= DSNLimits.originalRecipientLength, "ORCPT too long")
        case "ENVID":
            guard DSNEnvelopeID.isValid(value), let decoded = XText.decode(value) else { continue }
            precondition(decoded.count <= DSNLimits.envelopeIDLength, "ENVID too long")
            precondition(XText.decode(XText.encode(String(decoding: decoded, as: UTF8.self))) == decoded
                         || !decoded.allSatisfy({ $0 < 0x80 }), "ENVID \(value) does not re-encode")
        case "RET":
            guard let ret = DSNReturn(parameterValue: value) else { continue }
            precondition(DSNReturn(parameterValue: ret.rawValue) == ret, "RET \(value)")
        default:
            continue
        }
    }
}

/// The verb a command was recognised from; nil for unknown verbs.
private func recognisedVerb(_ command: SMTPCommand) -> String? {
    switch command {
    case .helo: return "HELO"
    case .ehlo: return "EHLO"
    case .mail: return "MAIL"
    case .rcpt: return "RCPT"
    case .data: return "DATA"
    case .bdat: return "BDAT"
    case .rset: return "RSET"
    case .noop: return "NOOP"
    case .quit: return "QUIT"
    case .vrfy: return "VRFY"
    case .help: return "HELP"
    case .starttls: return "STARTTLS"
    case .auth: return "AUTH"
    case .notImplemented(let verb): return verb
    case .unknown: return nil
    }
}

/// The command as a client would send it (without CRLF).
private func encode(_ command: SMTPCommand) -> String {
    func parameters(_ list: [SMTPParameter]) -> String {
        list.map { " \($0.keyword)\($0.value.map { "=\($0)" } ?? "")" }.joined()
    }
    switch command {
    case .helo(let name): return "HELO \(name)"
    case .ehlo(let name): return "EHLO \(name)"
    case .mail(let path, let list): return "MAIL FROM:\(path)\(parameters(list))"
    case .rcpt(let mailbox, let list): return "RCPT TO:<\(mailbox)>\(parameters(list))"
    case .data: return "DATA"
    case .bdat(let size, let last): return "BDAT \(size)\(last ? " LAST" : "")"
    case .rset: return "RSET"
    case .noop: return "NOOP"
    case .quit: return "QUIT"
    case .vrfy(let text): return "VRFY \(text)"
    case .help: return "HELP"
    case .starttls: return "STARTTLS"
    case .auth(let mechanism, let initial):
        return "AUTH \(mechanism)\(initial.map { " " + String(decoding: $0, as: UTF8.self) } ?? "")"
    case .notImplemented(let verb), .unknown(let verb): return verb
    }
}
