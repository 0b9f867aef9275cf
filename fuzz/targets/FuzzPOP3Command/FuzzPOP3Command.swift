import FuzzSupport
import NIOCore
import POP3Protocol
import ProtocolSupport
import SMTPProtocol

/// Two parts of the POP3 core, chosen by the first byte.
///
/// Even: the command parser, on each CRLF line of the rest (RFC 1939, RFC 2449, RFC 5034):
/// - it never traps;
/// - a recognised command encodes back to a line that parses to the same command;
/// - a keyword is recognised only when its bytes spell it in ASCII, any case (RFC 1939 §3).
///
/// Odd: the multi-line response encoder (RETR and TOP, RFC 1939 §3, §7) on a stored message
/// (LF line ends, no CR, as Tsubame stores mail), fed in pieces:
/// - pieces do not change the output;
/// - a client that undoes the framing (the SMTP DATA decoder: the same dot-stuffing and
///   CRLF "." CRLF end) gets back the message, or for TOP the header, the blank line and the
///   asked number of body lines, each line ended by LF.
func fuzzPOP3Command(_ input: FuzzInput) {
    var input = input
    if input.byte() & 1 == 0 {
        fuzzCommands(input.rest())
    } else {
        fuzzMultilineEncoder(&input)
    }
}

private func fuzzCommands(_ stream: [UInt8]) {
    var framer = CommandLineFramer(maximumLineLength: 255)  // RFC 2449 §4: 255 octets with CRLF
    var buffer = ByteBuffer(bytes: stream)
    while let event = framer.next(from: &buffer) {
        guard case .line(let line) = event, case .success(let command) = POP3CommandParser.parse(line) else { continue }
        if let keyword = keyword(of: command) {
            let wire = line.prefix { $0 != UInt8(ascii: " ") }
            let upper = wire.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) ? $0 - 32 : $0 }
            precondition(upper == Array(keyword.utf8), "keyword \(keyword) recognised from \(Array(wire))")
        }
        let encoded = encode(command)
        let reparsed = POP3CommandParser.parse(Array(encoded.utf8))
        precondition(reparsed == .success(command),
                     "round trip: \(line) parsed to \(command), encoded as \(Array(encoded.utf8)), parsed back to \(reparsed)")
    }
}

private func keyword(of command: POP3Command) -> String? {
    switch command {
    case .user: return "USER"
    case .pass: return "PASS"
    case .stat: return "STAT"
    case .list: return "LIST"
    case .retr: return "RETR"
    case .dele: return "DELE"
    case .noop: return "NOOP"
    case .rset: return "RSET"
    case .quit: return "QUIT"
    case .top: return "TOP"
    case .uidl: return "UIDL"
    case .capa: return "CAPA"
    case .auth: return "AUTH"
    case .stls: return "STLS"
    case .unknown: return nil
    }
}

private func encode(_ command: POP3Command) -> String {
    switch command {
    case .user(let name): return "USER \(name)"
    case .pass(let password): return "PASS \(password)"
    case .stat: return "STAT"
    case .list(let number): return "LIST" + (number.map { " \($0)" } ?? "")
    case .retr(let number): return "RETR \(number)"
    case .dele(let number): return "DELE \(number)"
    case .noop: return "NOOP"
    case .rset: return "RSET"
    case .quit: return "QUIT"
    case .top(let number, let lines): return "TOP \(number) \(lines)"
    case .uidl(let number): return "UIDL" + (number.map { " \($0)" } ?? "")
    case .capa: return "CAPA"
    case .auth(let mechanism, let response):
        return "AUTH" + (mechanism.map { " \($0)" } ?? "") + (response.map { " " + String(decoding: $0, as: UTF8.self) } ?? "")
    case .stls: return "STLS"
    case .unknown(let keyword): return keyword
    }
}

private func fuzzMultilineEncoder(_ input: inout FuzzInput) {
    let settings = input.byte()
    let bodyLineLimit: Int? = settings & 1 == 0 ? nil : Int(settings >> 1) % 8
    let plan = SplitPlan(&input)
    // A stored message has LF line ends and no CR (the DATA decoder refuses bare CRs).
    let message = input.rest().filter { $0 != UInt8(ascii: "\r") }

    let whole = encodeMessage(message, bodyLineLimit: bodyLineLimit, plan: SplitPlan(lengths: [max(1, message.count)]))
    let split = encodeMessage(message, bodyLineLimit: bodyLineLimit, plan: plan)
    precondition(whole == split, "splitting the stored message changed the response")

    var decoder = MessageContentDecoder(framing: .dotTerminated, maximumSize: Int.max, maximumLineLength: Int.max)
    var wire = ByteBuffer(bytes: whole)
    var decoded = ByteBuffer()
    let ended = decoder.decodeDotTerminated(&wire, into: &decoded)
    precondition(ended && wire.readableBytes == 0, "the response does not end exactly at its final \".\" CRLF")
    precondition(decoder.problems.isEmpty, "the response has a bare CR or LF")
    precondition(Array(decoded.readableBytesView) == expectedLines(message, bodyLineLimit: bodyLineLimit),
                 "a client reads back something else than the message")
}

private func encodeMessage(_ message: [UInt8], bodyLineLimit: Int?, plan: SplitPlan) -> [UInt8] {
    var encoder = MultilineMessageEncoder(bodyLineLimit: bodyLineLimit)
    var output = ByteBuffer()
    for range in plan.ranges(covering: message.count) {
        if !encoder.encode(ByteBuffer(bytes: message[range]), into: &output) { break }
    }
    encoder.finish(into: &output)
    return Array(output.readableBytesView)
}

/// RETR: every line; TOP n: the header up to and including the blank line, then n body lines
/// (RFC 1939 §7). Each line ends with LF, the last one too.
private func expectedLines(_ message: [UInt8], bodyLineLimit: Int?) -> [UInt8] {
    var lines = message.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    if message.last == UInt8(ascii: "\n") || message.isEmpty { lines.removeLast() }
    if let limit = bodyLineLimit, let blank = lines.firstIndex(where: \.isEmpty) {
        lines = Array(lines.prefix(blank + 1 + limit))
    }
    return lines.flatMap { $0 + [UInt8(ascii: "\n")] }
}
