import NIOCore
import ProtocolSupport

/// Why the bytes a server sent cannot be read as SMTP replies. Each case keeps what is needed
/// to quote the offending line in a log or an error message.
public enum SMTPReplyReadError: Error, Equatable, Sendable {
    /// A line longer than `SMTPReplyReader.maximumLineLength` octets, CRLF included.
    case lineTooLong
    /// A bare CR or LF instead of CRLF (RFC 5321 §2.3.8).
    case bareLineEnding
    /// Not `Reply-code [ SP / "-" textstring ]` (RFC 5321 §4.2).
    case malformedLine([UInt8])
    /// RFC 5321 §4.2.1: every line of a multi-line reply carries the same code.
    case codeChanged(from: Int, to: Int, line: [UInt8])
    /// More than `SMTPReplyReader.maximumLines` lines in one reply.
    case tooManyLines
}

/// Reads complete SMTP replies (RFC 5321 §4.2) from the bytes a server sends, as the client
/// side of the grammar `ByteBuffer.writeSMTPReply` writes: one reader per connection.
///
/// Bounded: a line may not pass `maximumLineLength` octets and a reply `maximumLines` lines, and
/// what waits in the buffer for its line end is cut off at the limit, so a hostile server can
/// make it hold only a bounded amount. Line ends are CRLF only (§2.3.8).
public struct SMTPReplyReader: Sendable {
    /// RFC 5321 §4.5.3.1.5 sets 512 octets per reply line; real servers pass it in EHLO replies
    /// and long rejection texts, so allow eight times that, bounded.
    public static let maximumLineLength = 4096
    /// Lines in one reply; an EHLO reply lists a dozen extensions, a banner a few lines.
    public static let maximumLines = 100

    private var framer = CommandLineFramer(maximumLineLength: SMTPReplyReader.maximumLineLength)
    private var pending = ByteBuffer()
    private var lines: [SMTPReplyLine] = []

    public init() {}

    /// Octets received and not yet part of a complete reply: whole or partial lines behind the
    /// last reply returned. After the 220 to STARTTLS this must be zero (RFC 3207 §4.2:
    /// anything already there was sent in plaintext, possibly injected; CVE-2011-0411).
    public var bufferedOctets: Int {
        pending.readableBytes + lines.reduce(0) { $0 + $1.raw.count + 2 }
    }

    /// Adds bytes from the server.
    public mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        pending.writeBuffer(&bytes)
    }

    /// The next complete reply, or nil until more bytes arrive.
    public mutating func nextReply() throws(SMTPReplyReadError) -> SMTPReply? {
        while true {
            // The framer would skip an over-long line silently to its end; a client stops at once.
            if pending.readableBytes >= Self.maximumLineLength,
               !pending.readableBytesView.prefix(Self.maximumLineLength).contains(UInt8(ascii: "\n")) {
                throw .lineTooLong
            }
            guard let event = framer.next(from: &pending) else { return nil }
            switch event {
            case .lineTooLong: throw .lineTooLong
            case .bareLineEnding: throw .bareLineEnding
            case .line(let bytes):
                guard let line = SMTPReplyLine(parsing: bytes) else { throw .malformedLine(bytes) }
                if let first = lines.first, first.code != line.code {
                    throw .codeChanged(from: first.code, to: line.code, line: bytes)
                }
                lines.append(line)
                guard lines.count <= Self.maximumLines else { throw .tooManyLines }
                if line.isLast {
                    defer { lines = [] }
                    return SMTPReplyLine.reply(from: lines)
                }
            }
        }
    }
}

/// One line of a reply: "250-text" (more follow) or "250 text" / "250" (the last).
public struct SMTPReplyLine: Equatable, Sendable {
    public var code: Int
    public var isLast: Bool
    /// The text after the separator, enhanced code included.
    public var text: String
    /// The line as received, without CRLF, for quoting.
    public var raw: [UInt8]

    /// Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF;
    /// Reply-code = %x32-35 %x30-35 %x30-39 (RFC 5321 §4.2).
    public init?(parsing line: [UInt8]) {
        guard line.count >= 3,
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0]),
              (UInt8(ascii: "0")...UInt8(ascii: "5")).contains(line[1]),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[2]) else { return nil }
        code = line.prefix(3).reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        raw = line
        guard line.count > 3 else {
            isLast = true
            text = ""
            return
        }
        guard line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-") else { return nil }
        isLast = line[3] == UInt8(ascii: " ")
        text = String(decoding: line[4...], as: UTF8.self)
    }

    /// The reply of these lines. The enhanced status code (RFC 3463 §2, announced by
    /// ENHANCEDSTATUSCODES, RFC 2034 §3) is taken from the first line when its class matches
    /// the reply's first digit (RFC 2034 §4), and removed from every line that repeats it, as
    /// `writeSMTPReply` puts it on each line.
    static func reply(from lines: [SMTPReplyLine]) -> SMTPReply {
        let code = lines[0].code
        let enhanced = EnhancedStatusCode.prefix(of: lines[0].text, replyCode: code)
        let texts = lines.map { line -> String in
            guard let enhanced, line.text.hasPrefix(enhanced + " ") || line.text == enhanced else { return line.text }
            return String(line.text.dropFirst(enhanced.count + 1))
        }
        return SMTPReply(code, enhanced, texts)
    }
}

/// status-code = class "." subject "." detail; class = "2" / "4" / "5";
/// subject = 1*3digit; detail = 1*3digit (RFC 3463 §2).
public enum EnhancedStatusCode {
    /// The enhanced code that starts `text` (followed by a space or the end), if its class is
    /// the reply code's first digit (RFC 2034 §4).
    public static func prefix(of text: String, replyCode: Int) -> String? {
        let word = text.utf8.prefix { $0 != UInt8(ascii: " ") }
        let parts = word.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts[0].count == 1, let first = parts[0].first,
              Int(first) - Int(UInt8(ascii: "0")) == replyCode / 100,
              [2, 4, 5].contains(replyCode / 100),
              parts[1...].allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } })
        else { return nil }
        return String(decoding: word, as: UTF8.self)
    }
}
