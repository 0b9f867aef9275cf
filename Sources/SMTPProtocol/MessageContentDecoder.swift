import NIOCore

/// Decodes message content as it streams in after DATA or BDAT, strictly.
///
/// - DATA (RFC 5321 §4.1.1.4): the content ends only at CRLF "." CRLF; lines starting with a
///   dot are unstuffed (§4.5.2).
/// - BDAT (RFC 3030): the content is exactly the chunk octets, no dot handling.
///
/// Line ends must be CRLF. A bare CR or LF marks the message as rejected but never ends it,
/// so "\n.\n", "\r.\r", "\r\n.\n" and friends cannot smuggle a second message in (the 2023
/// SMTP smuggling attacks). Lines over 998 octets (§4.5.3.1.6) and content over the size
/// limit also reject the message; decoding goes on to the real end so the session stays in
/// step with the client, but nothing more is written to the output.
///
/// The output is the content in local form: each CRLF becomes LF, as in Maildir files.
public struct MessageContentDecoder: Sendable {
    public struct Problems: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let bareLineEnding = Problems(rawValue: 1 << 0)
        public static let lineTooLong = Problems(rawValue: 1 << 1)
        public static let tooLarge = Problems(rawValue: 1 << 2)
    }

    public enum Framing: Sendable {
        case dotTerminated
        case chunked
    }

    private enum State: Sendable {
        case lineStart
        case inLine
        case afterCR
        case lineStartDot
        case lineStartDotCR
    }

    public let framing: Framing
    public let maximumSize: Int
    public let maximumLineLength: Int
    public private(set) var problems: Problems = []
    /// Octets of content in wire form (CRLF line ends, unstuffed): what SIZE counts.
    public private(set) var size = 0
    private var state = State.lineStart
    private var lineLength = 0

    public init(framing: Framing, maximumSize: Int, maximumLineLength: Int = 998) {
        self.framing = framing
        self.maximumSize = maximumSize
        self.maximumLineLength = maximumLineLength
    }

    /// DATA: consumes `input` up to and including the end marker, appending content to
    /// `output`. Returns true when the end marker was consumed.
    public mutating func decodeDotTerminated(_ input: inout ByteBuffer, into output: inout ByteBuffer) -> Bool {
        precondition(framing == .dotTerminated)
        let (consumed, ended) = decode(input.readableBytesView, into: &output)
        input.moveReaderIndex(forwardBy: consumed)
        return ended
    }

    /// BDAT: consumes up to `limit` octets of `input` (what is left of the chunk), appending
    /// content to `output`. Returns the octets consumed.
    public mutating func decodeChunk(_ input: inout ByteBuffer, limit: Int, into output: inout ByteBuffer) -> Int {
        precondition(framing == .chunked)
        let view = input.readableBytesView.prefix(limit)
        let (consumed, _) = decode(view, into: &output)
        input.moveReaderIndex(forwardBy: consumed)
        return consumed
    }

    /// BDAT LAST: a CR left at the very end is a bare CR.
    public mutating func finishChunks() {
        if state == .afterCR { problems.insert(.bareLineEnding) }
    }

    private mutating func decode(_ view: ByteBufferView, into output: inout ByteBuffer) -> (consumed: Int, ended: Bool) {
        let dotStuffed = framing == .dotTerminated
        let maximumSize = maximumSize
        let maximumLineLength = maximumLineLength
        // Work on locals and store them back once: the loop is hot.
        var state = state
        var size = size
        var lineLength = lineLength
        var problems = problems
        var ended = false
        var consumed = 0
        view.withUnsafeBytes { bytes in
            var runStart = 0
            var index = 0
            func flushRun(upTo end: Int) {
                if problems.isEmpty, end > runStart {
                    output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<end]))
                }
            }
            func countContentByte() {
                size += 1
                lineLength += 1
                if lineLength > maximumLineLength { problems.insert(.lineTooLong) }
                if size > maximumSize { problems.insert(.tooLarge) }
            }
            func consumeContentByte(_ byte: UInt8) {
                switch byte {
                case UInt8(ascii: "\r"):
                    flushRun(upTo: index)
                    runStart = index + 1
                    state = .afterCR
                case UInt8(ascii: "\n"):
                    // A bare LF: rejected, and not a line start, so a following "." cannot end the data.
                    problems.insert(.bareLineEnding)
                    state = .inLine
                default:
                    countContentByte()
                    state = .inLine
                }
            }
            loop: while index < bytes.count {
                if state == .inLine {
                    // Most octets are text inside a line: skip to its CR (or a bare LF) eight
                    // at a time, counting them at once; the state machine takes the rest.
                    let start = index
                    while index &+ 8 <= bytes.count,
                          !Self.containsLineEnd(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                        index &+= 8
                    }
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\r"), bytes[index] != UInt8(ascii: "\n") {
                        index &+= 1
                    }
                    if index > start {
                        size += index - start
                        lineLength += index - start
                        if lineLength > maximumLineLength { problems.insert(.lineTooLong) }
                        if size > maximumSize { problems.insert(.tooLarge) }
                    }
                    if index == bytes.count { break }
                }
                let byte = bytes[index]
                switch state {
                case .lineStart where dotStuffed && byte == UInt8(ascii: "."):
                    flushRun(upTo: index)
                    runStart = index + 1
                    state = .lineStartDot
                case .lineStart, .inLine:
                    consumeContentByte(byte)
                case .afterCR:
                    if byte == UInt8(ascii: "\n") {
                        size += 2
                        if size > maximumSize { problems.insert(.tooLarge) }
                        lineLength = 0
                        state = .lineStart
                    } else if byte == UInt8(ascii: "\r") {
                        problems.insert(.bareLineEnding)  // the second CR may still begin a CRLF
                    } else {
                        problems.insert(.bareLineEnding)
                        countContentByte()
                        state = .inLine
                    }
                case .lineStartDot:
                    if byte == UInt8(ascii: "\r") {
                        flushRun(upTo: index)
                        runStart = index + 1
                        state = .lineStartDotCR
                    } else {
                        // "." followed by text: the dot was stuffing (RFC 5321 §4.5.2).
                        consumeContentByte(byte)
                    }
                case .lineStartDotCR:
                    if byte == UInt8(ascii: "\n") {
                        index += 1
                        ended = true
                        break loop
                    }
                    problems.insert(.bareLineEnding)
                    if byte == UInt8(ascii: "\r") {
                        state = .afterCR
                    } else {
                        countContentByte()
                        state = .inLine
                    }
                }
                index += 1
            }
            if !ended { flushRun(upTo: index) }
            consumed = index
        }
        self.state = ended ? .lineStart : state
        self.size = size
        self.lineLength = lineLength
        self.problems = problems
        return (consumed, ended)
    }

    /// Whether any of the eight octets is CR or LF (the zero-byte test on `word` XOR each).
    @inline(__always)
    private static func containsLineEnd(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let cr = word ^ (ones &* 0x0D)
        let lf = word ^ (ones &* 0x0A)
        return ((cr &- ones) & ~cr | (lf &- ones) & ~lf) & highBits != 0
    }
}
