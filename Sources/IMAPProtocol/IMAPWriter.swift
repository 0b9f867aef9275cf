import NIOCore

/// Writes the basic rules (atom, quoted, literal, astring, nstring) into a ByteBuffer, choosing
/// the plainest form that carries the octets: an atom where the rule allows one, a quoted
/// string for printable 7-bit text, a literal for anything else (8-bit, CR, LF, NUL), as
/// swift-nio-imap's `EncodeBuffer`.
public struct IMAPWriter {
    public enum LiteralStyle: Sendable {
        /// `{n}`: the server's form, and a client's that waits for `+`.
        case synchronizing
        /// `{n+}` (LITERAL+, RFC 7888): a client that sends without waiting.
        case nonSynchronizing
    }

    public var buffer: ByteBuffer
    public var literalStyle: LiteralStyle

    public init(buffer: ByteBuffer = ByteBuffer(), literalStyle: LiteralStyle = .synchronizing) {
        self.buffer = buffer
        self.literalStyle = literalStyle
    }

    public mutating func write(_ text: String) {
        buffer.writeString(text)
    }

    public mutating func writeBytes(_ bytes: [UInt8]) {
        buffer.writeBytes(bytes)
    }

    /// Decimal digits without a String in between (FETCH 1:* of a large folder writes a few
    /// hundred thousand numbers).
    public mutating func writeNumber(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { scratch in
            var rest = value
            var at = scratch.count
            repeat {
                at -= 1
                scratch[at] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[at...]))
        }
    }

    public mutating func writeNumber(_ value: UInt32) { writeNumber(UInt64(value)) }

    public mutating func writeNumber(_ value: Int) { value < 0 ? write(String(value)) : writeNumber(UInt64(value)) }

    public mutating func writeStatic(_ text: StaticString) {
        buffer.writeStaticString(text)
    }

    public mutating func writeSpace() {
        buffer.writeInteger(UInt8(ascii: " "))
    }

    public mutating func writeLineEnd() {
        buffer.writeString("\r\n")
    }

    /// literal = "{" number ["+"] "}" CRLF *CHAR8
    public mutating func writeLiteral(_ bytes: [UInt8]) {
        writeLiteralHeader(size: bytes.count)
        buffer.writeBytes(bytes)
    }

    /// The literal's `{n}` CRLF alone: the payload is streamed after it.
    public mutating func writeLiteralHeader(size: Int) {
        buffer.writeString(literalStyle == .synchronizing ? "{\(size)}\r\n" : "{\(size)+}\r\n")
    }

    /// Whether `bytes` can go out as a quoted string: TEXT-CHAR (7-bit, no CR, LF) and no NUL.
    static func isQuotable(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { (0x01...0x7F).contains($0) && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
    }

    /// string = quoted / literal
    public mutating func writeString(_ bytes: [UInt8]) {
        // One pass decides the form; the runs between escapes are written whole (a FETCH
        // ENVELOPE of a large folder writes a million strings).
        var escapes = 0
        for byte in bytes {
            guard byte != 0, byte < 0x80, byte != UInt8(ascii: "\r"), byte != UInt8(ascii: "\n") else { return writeLiteral(bytes) }
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { escapes += 1 }
        }
        buffer.reserveCapacity(minimumWritableBytes: bytes.count + escapes + 2)
        buffer.writeInteger(UInt8(ascii: "\""))
        if escapes == 0 {
            buffer.writeBytes(bytes)
        } else {
            var start = 0
            for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.writeBytes(bytes[start..<index])
                buffer.writeInteger(UInt8(ascii: "\\"))
                start = index
            }
            buffer.writeBytes(bytes[start...])
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    public mutating func writeString(_ text: String) {
        writeString(Array(text.utf8))
    }

    /// astring = 1*ASTRING-CHAR / string. `NIL` is quoted: as an atom it is valid, but a client
    /// reading an nstring in the same place would take it for NIL.
    public mutating func writeAString(_ bytes: [UInt8]) {
        if !bytes.isEmpty, bytes.allSatisfy(IMAPCharacters.isAStringChar), IMAPCharacters.uppercased(bytes) != "NIL" {
            buffer.writeBytes(bytes)
        } else {
            writeString(bytes)
        }
    }

    /// nstring = string / nil
    public mutating func writeNString(_ bytes: [UInt8]?) {
        guard let bytes else { return write("NIL") }
        writeString(bytes)
    }

    /// mailbox = "INBOX" / astring
    public mutating func writeMailbox(_ name: IMAPMailboxName) {
        writeAString(name.bytes)
    }

    /// list-mailbox = 1*list-char / string
    public mutating func writeListMailbox(_ bytes: [UInt8]) {
        if !bytes.isEmpty, bytes.allSatisfy(IMAPCharacters.isListChar) {
            buffer.writeBytes(bytes)
        } else {
            writeString(bytes)
        }
    }

    /// Items separated by SP inside parentheses.
    public mutating func writeList<T>(_ items: [T], _ write: (inout IMAPWriter, T) -> Void) {
        buffer.writeInteger(UInt8(ascii: "("))
        for (position, item) in items.enumerated() {
            if position > 0 { writeSpace() }
            write(&self, item)
        }
        buffer.writeInteger(UInt8(ascii: ")"))
    }

    public mutating func writeFlags(_ flags: [IMAPFlag]) {
        writeList(flags) { $0.write($1.text) }
    }

    public mutating func writeSequenceSet(_ set: IMAPSequenceSet) {
        func bound(_ value: IMAPSequenceSet.Bound) -> String {
            switch value {
            case .number(let number): return String(number)
            case .last: return "*"
            }
        }
        write(set.ranges.map { $0.first == $0.last ? bound($0.first) : "\(bound($0.first)):\(bound($0.last))" }
            .joined(separator: ","))
    }

    public mutating func writeDateTime(_ value: IMAPDateTime) {
        write("\"\(value.text)\"")
    }
}
