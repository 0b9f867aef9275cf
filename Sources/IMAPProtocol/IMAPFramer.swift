import NIOCore

/// Cuts an IMAP client's byte stream into commands (RFC 3501 §2.2, §4.3, §7.5; RFC 7888).
///
/// A command is a line, or several lines joined by literals: a line ending in `{n}` (or
/// `{n+}`) is followed by exactly n octets, then the command goes on. The framer is a struct
/// state machine with no I/O, as swift-nio-imap's `FramingParser`: the server feeds what it
/// reads and carries out each event.
///
/// Synchronizing literals `{n}`: the framer checks n against the limits as soon as the line
/// ends and reports `.needsContinuation(octets:)` (the server answers `+ `, or calls
/// `refuseLiteral()` and answers NO) or `.refused` (it answers NO/BAD): the client sends no
/// octet of a literal the server refused (RFC 3501 §7.5). Non-synchronizing literals `{n+}`
/// (LITERAL+, RFC 7888 §4) arrive without waiting, so one over a limit is `.fatal`: its octets
/// would otherwise be read as commands (an old Dovecot ran them), so the server answers BAD
/// and closes.
///
/// Lines that are not commands come out as frames too: the SASL responses of AUTHENTICATE
/// (RFC 3501 §6.2.2) and the `DONE` that ends IDLE (`IMAPCommandParser.isIdleDone`); the
/// session knows which it expects.
///
/// Line ends: CRLF, and a bare LF as well, as Dovecot's `imap-parser` accepts it (its
/// `test_imap_parser_crlf` in src/lib-imap/test-imap-parser.c reads "x\ry\n" as one line; a
/// telnet user's line end). Unlike SMTP there is nothing to smuggle: message data only ever travels in
/// literals of a stated size. A bare CR stays in the line, where the grammar refuses it.
public struct IMAPFramer: Sendable {
    public enum Event: Equatable, Sendable {
        /// A complete command.
        case frame(IMAPFrame)
        /// A synchronizing literal within the limits: answer `+ ` to let the client send it, or
        /// call `refuseLiteral()` and answer the tag with NO.
        case needsContinuation(octets: Int)
        /// Octets of a literal larger than `inlineLiteralThreshold`, in order (APPEND streams
        /// them to a file); the frame records where the literal was.
        case literalBytes(ByteBuffer)
        /// The command was dropped; the connection goes on. Answer `tag BAD`/`NO` with the
        /// error's text (`*` when there is no tag).
        case refused(IMAPFramingError, tag: String?)
        /// The stream cannot be framed any more: answer BAD (or BYE) and close. No event follows.
        case fatal(IMAPFramingError, tag: String?)
    }

    private enum State: Sendable {
        case readingLine
        case readingLiteral(remaining: Int, streamed: Bool)
        case failed
    }

    /// May be changed between commands: a session that logs in can raise the bounds it kept
    /// low before authentication.
    public var limits: IMAPLimits
    /// Blank lines between commands are skipped, but a SASL response may be one: the empty
    /// acknowledgement of SCRAM's server signature (RFC 3501 §6.2.2). The server sets this
    /// while an AUTHENTICATE exchange waits for a response.
    public var deliversBlankLines = false
    private var state: State = .readingLine
    /// The command so far: its finished lines (with CRLF) and inline literals.
    private var frame: [UInt8] = []
    private var streamedLiterals: [IMAPFrame.StreamedLiteral] = []
    private var literalCount = 0
    /// The line being read, without its line end.
    private var line: [UInt8] = []

    public init(limits: IMAPLimits = IMAPLimits()) {
        self.limits = limits
    }

    /// True between commands: nothing of a command has been read yet. After STARTTLS the
    /// server also checks that its own buffer is empty (Courier CVE-2021-38084).
    public var isAtCommandStart: Bool {
        if case .readingLine = state { return frame.isEmpty && line.isEmpty }
        return false
    }

    /// Octets still to come of the literal being read, nil outside a literal. After a
    /// `.literalBytes` event, 0 means that streamed literal is complete: the server closes its
    /// file (a LITERAL+ literal announces its size to nobody else).
    public var literalOctetsRemaining: Int? {
        if case .readingLiteral(let remaining, _) = state { return remaining }
        return nil
    }

    /// Called instead of sending `+ ` after `.needsContinuation`: the client will not send the
    /// literal (RFC 3501 §7.5), so the command is dropped and the next line is a new command.
    public mutating func refuseLiteral() {
        guard case .readingLiteral = state else { return }
        reset()
    }

    /// Takes the next event from the front of `buffer`, or nil when more bytes are needed.
    public mutating func next(from buffer: inout ByteBuffer) -> Event? {
        while true {
            switch state {
            case .failed:
                return nil
            case .readingLiteral(let remaining, let streamed):
                if remaining == 0 {
                    state = .readingLine
                    continue
                }
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                state = .readingLiteral(remaining: remaining - count, streamed: streamed)
                if streamed {
                    return .literalBytes(buffer.readSlice(length: count)!)
                }
                frame.append(contentsOf: buffer.readableBytesView.prefix(count))
                buffer.moveReaderIndex(forwardBy: count)
            case .readingLine:
                let view = buffer.readableBytesView
                guard let lineFeed = view.firstIndex(of: UInt8(ascii: "\n")) else {
                    line.append(contentsOf: view)
                    buffer.moveReaderIndex(forwardBy: view.count)
                    if line.count > limits.maximumLineLength + 1 { return fail(.lineTooLong) }
                    return nil
                }
                line.append(contentsOf: view[view.startIndex..<lineFeed])
                buffer.moveReaderIndex(forwardBy: lineFeed - view.startIndex + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.count > limits.maximumLineLength { return fail(.lineTooLong) }
                if let event = endOfLine() { return event }
            }
        }
    }

    /// A line has ended: the command is complete, or a literal follows.
    private mutating func endOfLine() -> Event? {
        let finished = line
        line = []
        guard let literal = IMAPFramer.literalAnnouncement(at: finished) else {
            if frame.isEmpty && finished.isEmpty && !deliversBlankLines { return nil }  // a blank line between commands
            if frame.count + finished.count > limits.maximumCommandSize {
                let tag = tagOfCommand(finished)
                reset()
                return .refused(.commandTooLarge, tag: tag)
            }
            frame.append(contentsOf: finished)
            let complete = IMAPFrame(bytes: frame, streamedLiterals: streamedLiterals)
            reset()
            return .frame(complete)
        }
        let tag = tagOfCommand(finished)
        func refuse(_ error: IMAPFramingError) -> Event {
            guard literal.synchronizing else { return fail(error, tag: tag) }
            reset()
            return .refused(error, tag: tag)
        }
        literalCount += 1
        if literal.binary { return refuse(.binaryLiteral) }
        if literalCount > limits.maximumLiteralCount { return refuse(.tooManyLiterals) }
        guard let size = literal.size, size <= limits.appendLimit else {
            return refuse(.literalTooLarge(literal.size ?? Int.max))
        }
        let streamed = size > limits.inlineLiteralThreshold
        let inlineSize = frame.count + finished.count + 2 + (streamed ? 0 : size)
        if inlineSize > limits.maximumCommandSize { return refuse(.commandTooLarge) }
        frame.append(contentsOf: finished)
        frame.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        if streamed { streamedLiterals.append(.init(offset: frame.count, size: size)) }
        state = .readingLiteral(remaining: size, streamed: streamed)
        return literal.synchronizing ? .needsContinuation(octets: size) : nil
    }

    private func tagOfCommand(_ currentLine: [UInt8]) -> String? {
        IMAPFrame.tag(of: frame.isEmpty ? currentLine[...] : frame[...])
    }

    private mutating func fail(_ error: IMAPFramingError, tag: String? = nil) -> Event {
        let tag = tag ?? tagOfCommand(line)
        state = .failed
        frame = []
        line = []
        streamedLiterals = []
        return .fatal(error, tag: tag)
    }

    private mutating func reset() {
        state = .readingLine
        frame = []
        line = []
        streamedLiterals = []
        literalCount = 0
    }

    struct LiteralAnnouncement: Equatable {
        /// nil when the number does not fit (it is then larger than any limit).
        var size: Int?
        var synchronizing: Bool
        var binary: Bool
    }

    /// The literal a line announces at its end, if any:
    /// literal = "{" number ["+"] "}" CRLF *CHAR8   (RFC 3501 §9, RFC 7888 §8)
    /// literal8 = "~{" number ["+"] "}" CRLF *OCTET (RFC 3516 §4.1)
    /// A `{` inside a quoted string is text, so the line is scanned for quotes first.
    static func literalAnnouncement(at line: [UInt8]) -> LiteralAnnouncement? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var inQuoted = false
        var escaped = false
        for byte in line[..<open] {
            if escaped {
                escaped = false
            } else if inQuoted && byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuoted.toggle()
            }
        }
        if inQuoted { return nil }
        var inside = line[(open + 1)..<(line.count - 1)]
        let synchronizing = inside.last != UInt8(ascii: "+")
        if !synchronizing { inside = inside.dropLast() }
        guard !inside.isEmpty, inside.allSatisfy(IMAPCharacters.isDigit) else { return nil }
        let binary = open > 0 && line[open - 1] == UInt8(ascii: "~")
        var size: Int? = 0
        for digit in inside {
            guard let current = size else { break }
            let (times, overflow1) = current.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit - 0x30))
            size = overflow1 || overflow2 || sum > Int(UInt32.max) ? nil : sum
        }
        return LiteralAnnouncement(size: size, synchronizing: synchronizing, binary: binary)
    }
}
