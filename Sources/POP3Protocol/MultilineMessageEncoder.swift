import NIOCore

/// Turns a stored message (LF line ends, as in Maildir) into a POP3 multi-line response body:
/// CRLF line ends and dot-stuffing (RFC 1939 §3), chunk by chunk, so a message is never held
/// whole in memory. For TOP it stops after the header, the blank line and `bodyLineLimit`
/// body lines (RFC 1939 §7).
public struct MultilineMessageEncoder: Sendable {
    private var atLineStart = true
    private var inHeader = true
    private var bodyLinesLeft: Int?
    public private(set) var isComplete = false

    public init(bodyLineLimit: Int? = nil) {
        self.bodyLinesLeft = bodyLineLimit
    }

    /// Encodes `input` into `output`. Returns false once TOP's limit is reached (the rest of the
    /// file is not needed).
    public mutating func encode(_ input: ByteBuffer, into output: inout ByteBuffer) -> Bool {
        guard !isComplete else { return false }
        var atLineStart = atLineStart
        var inHeader = inHeader
        var bodyLinesLeft = bodyLinesLeft
        var complete = false
        input.withUnsafeReadableBytes { bytes in
            var runStart = 0
            var index = 0
            if bodyLinesLeft == 0 && !inHeader {
                complete = true
                return
            }
            while index < bytes.count {
                let byte = bytes[index]
                if atLineStart && byte == UInt8(ascii: ".") {
                    output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                    output.writeStaticString(".")
                    runStart = index
                }
                if byte == UInt8(ascii: "\n") {
                    output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                    output.writeStaticString("\r\n")
                    runStart = index + 1
                    if inHeader {
                        if atLineStart { inHeader = false }  // the empty line ends the header
                    } else if let left = bodyLinesLeft {
                        bodyLinesLeft = left - 1
                    }
                    atLineStart = true
                    if !inHeader && bodyLinesLeft == 0 {
                        complete = true
                        return
                    }
                } else {
                    atLineStart = false
                }
                index += 1
            }
            output.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
        }
        self.atLineStart = atLineStart
        self.inHeader = inHeader
        self.bodyLinesLeft = bodyLinesLeft
        if complete { isComplete = true }
        return !complete
    }

    /// Ends the response: a CRLF if the message did not end with one, then ".".
    public mutating func finish(into output: inout ByteBuffer) {
        if !atLineStart { output.writeStaticString("\r\n") }
        output.writeStaticString(".\r\n")
        isComplete = true
        atLineStart = true
    }
}
