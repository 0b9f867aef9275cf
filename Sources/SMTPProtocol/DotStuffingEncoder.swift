import NIOCore

/// Writes stored message content as DATA content on the wire, as it streams from the store:
/// the inverse of `MessageContentDecoder`'s dot-terminated framing.
///
/// - Every line ends with CRLF (RFC 5321 §2.3.8): stored LF becomes CRLF, CRLF stays, and a CR
///   not followed by LF becomes CRLF too, so the wire never carries a bare CR or LF that a
///   strict server refuses or that could smuggle a second message.
/// - A line starting with "." gets a second one (RFC 5321 §4.5.2).
/// - `finish` ends an unterminated last line and writes the end marker "." CRLF (§4.1.1.4).
public struct DotStuffingEncoder: Sendable {
    private var atLineStart = true
    private var afterCR = false

    public init() {}

    /// Encodes one piece of the stored content; pieces may split anywhere, a CRLF too.
    public mutating func encode(_ chunk: ByteBuffer, into output: inout ByteBuffer) {
        var atLineStart = atLineStart
        var afterCR = afterCR
        chunk.withUnsafeReadableBytes { bytes in
            var runStart = 0
            func flush(_ end: Int) {
                if end > runStart { output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<end])) }
            }
            for index in bytes.indices {
                let byte = bytes[index]
                if afterCR {
                    afterCR = false
                    output.writeStaticString("\r\n")
                    atLineStart = true
                    if byte == UInt8(ascii: "\n") {
                        runStart = index + 1
                        continue
                    }
                    runStart = index
                }
                switch byte {
                case UInt8(ascii: "\r"):
                    flush(index)
                    runStart = index + 1
                    afterCR = true
                case UInt8(ascii: "\n"):
                    flush(index)
                    output.writeStaticString("\r\n")
                    runStart = index + 1
                    atLineStart = true
                case UInt8(ascii: ".") where atLineStart:
                    flush(index)
                    output.writeInteger(UInt8(ascii: "."))
                    runStart = index  // the dot itself goes out with the run
                    atLineStart = false
                default:
                    atLineStart = false
                }
            }
            flush(bytes.count)
        }
        self.atLineStart = atLineStart
        self.afterCR = afterCR
    }

    /// Ends the content: CRLF if the last line had none, then "." CRLF.
    public mutating func finish(into output: inout ByteBuffer) {
        if afterCR || !atLineStart { output.writeStaticString("\r\n") }
        output.writeStaticString(".\r\n")
        afterCR = false
        atLineStart = true
    }
}
