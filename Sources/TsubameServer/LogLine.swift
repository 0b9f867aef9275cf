/// One log line in logfmt, written so that a single parse gives back exactly the fields logged,
/// whatever bytes a client put into them:
///
///     2026-11-29T19:30:00Z notice pop3: authentication failed client=[127.0.0.1] user="a\" b"
///
/// A client chooses the POP3 user name, the EHLO name and the envelope addresses; written raw,
/// a quote, a space and `user=admin` would add a field that was never logged, and a line feed
/// or an escape sequence would add a line or repaint an admin's terminal. So:
///
/// - A value stands bare only when every byte is in `bareValueBytes`; otherwise it is quoted.
///   The empty value is `""`.
/// - Inside quotes, `"` and `\` are written `\"` and `\\`.
/// - Bytes that must never reach a log reader raw are written `\xNN`, one escape per byte of
///   their UTF-8 form: C0 controls and DEL; C1 controls (U+0080-U+009F, e.g. NEL `\xC2\x85`
///   and the 8-bit CSI `\xC2\x9B`); the line and paragraph separators U+2028/U+2029; the
///   bidirectional controls (U+061C, U+200E/F, U+202A-E, U+2066-9) that reorder what a
///   terminal shows; and every byte of malformed UTF-8. Escaping bytes rather than scalars
///   means an unescaped value is exactly the bytes that were logged.
/// - The message (our own text) gets the same byte escapes and, so that it can never look like
///   a field or open a quote, `=` and `"` as `\x3D` and `\x22`; `\` as `\\`.
/// - Keys and the label are ours; anything outside `[A-Za-z0-9_.-]` in them becomes `_`.
///
/// Swift strings are always valid UTF-8; a log value built from wire bytes would need the
/// malformed case. The protocol parsers refuse malformed UTF-8 where a client's text becomes
/// a string (RFC 5321 addresses and the EHLO name, the POP3 user name), so no logged value is
/// ever a silent U+FFFD replacement; the byte-level path here keeps that true for any caller.
struct LogLine {
    var timestamp: String
    var level: String
    var label: String
    var message: String
    /// Written in this order.
    var fields: [(key: String, value: String)]

    var bytes: [UInt8] {
        var line: [UInt8] = []
        line.append(contentsOf: timestamp.utf8)
        line.append(UInt8(ascii: " "))
        Self.appendKey(level, to: &line)
        line.append(UInt8(ascii: " "))
        Self.appendKey(label, to: &line)
        line.append(UInt8(ascii: ":"))
        if !message.isEmpty {
            line.append(UInt8(ascii: " "))
            Self.appendMessage(message.utf8, to: &line)
        }
        for (key, value) in fields {
            line.append(UInt8(ascii: " "))
            Self.appendKey(key, to: &line)
            line.append(UInt8(ascii: "="))
            Self.appendValue(value.utf8, to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// ASCII letters, digits and punctuation that cannot end, quote or split a field.
    static let bareValueBytes: Set<UInt8> = Set(
        Array(UInt8(ascii: "a")...UInt8(ascii: "z")) + Array(UInt8(ascii: "A")...UInt8(ascii: "Z"))
            + Array(UInt8(ascii: "0")...UInt8(ascii: "9")) + Array("-._:@/+<>[],*%!#$&'()?^{|}~".utf8))
    /// `bareValueBytes` as a table: the test is made for every octet of every value logged.
    private static let isBareValueByte: [Bool] = (0...255).map { bareValueBytes.contains(UInt8($0)) }

    static func appendValue(_ value: some Collection<UInt8>, to line: inout [UInt8]) {
        // Most values (ids, addresses, sizes) are bare as they stand: nothing to quote or escape.
        if !value.isEmpty, value.allSatisfy({ isBareValueByte[Int($0)] }) {
            line.append(contentsOf: value)
            return
        }
        var escaped: [UInt8] = []
        escaped.reserveCapacity(value.count)
        var bare = !value.isEmpty
        forEachPiece(of: value) { piece in
            switch piece {
            case .byte(UInt8(ascii: "\"")), .byte(UInt8(ascii: "\\")):
                escaped.append(UInt8(ascii: "\\"))
                escaped.append(contentsOf: piece.bytes)
                bare = false
            case .byte(let byte):
                escaped.append(byte)
                if !isBareValueByte[Int(byte)] { bare = false }
            case .text(let bytes):
                escaped.append(contentsOf: bytes)
                bare = false
            case .escaped(let bytes):
                appendHexEscapes(bytes, to: &escaped)
                bare = false
            }
        }
        if bare {
            line.append(contentsOf: escaped)
        } else {
            line.append(UInt8(ascii: "\""))
            line.append(contentsOf: escaped)
            line.append(UInt8(ascii: "\""))
        }
    }

    static func appendMessage(_ message: some Collection<UInt8>, to line: inout [UInt8]) {
        forEachPiece(of: message) { piece in
            switch piece {
            case .byte(UInt8(ascii: "\\")):
                line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case .byte(UInt8(ascii: "=")), .byte(UInt8(ascii: "\"")):
                appendHexEscapes(piece.bytes, to: &line)
            case .byte, .text:
                line.append(contentsOf: piece.bytes)
            case .escaped(let bytes):
                appendHexEscapes(bytes, to: &line)
            }
        }
    }

    static func appendKey(_ key: String, to line: inout [UInt8]) {
        guard !key.isEmpty else { return line.append(UInt8(ascii: "_")) }
        for byte in key.utf8 {
            let allowed = isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".")
            line.append(allowed ? byte : UInt8(ascii: "_"))
        }
    }

    // MARK: Splitting text into what is written as is and what is escaped

    private enum Piece {
        /// One printable ASCII byte.
        case byte(UInt8)
        /// One harmless non-ASCII scalar, as its UTF-8 bytes.
        case text(ArraySlice<UInt8>)
        /// Bytes written `\xNN` each: a control, a separator, or malformed UTF-8.
        case escaped(ArraySlice<UInt8>)

        var bytes: ArraySlice<UInt8> {
            switch self {
            case .byte(let byte): return [byte]
            case .text(let bytes), .escaped(let bytes): return bytes
            }
        }
    }

    private static func forEachPiece(of text: some Collection<UInt8>, _ body: (Piece) -> Void) {
        let bytes = Array(text)
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                let length = encoded.count
                let slice = bytes[offset..<offset + length]
                offset += length
                let scalar = Unicode.UTF8.decode(encoded)
                if scalar.isASCII {
                    let byte = UInt8(scalar.value)
                    body(byte < 0x20 || byte == 0x7F ? .escaped(slice) : .byte(byte))
                } else {
                    body(mustEscape(scalar) ? .escaped(slice) : .text(slice))
                }
            case .error(let length):
                // Malformed UTF-8 (the parser reports maximal invalid subparts, RFC 3629 §3).
                body(.escaped(bytes[offset..<offset + length]))
                offset += length
            case .emptyInput:
                return
            }
        }
    }

    /// Non-ASCII scalars a terminal or a line-oriented reader would act on.
    static func mustEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x80...0x9F: return true  // C1 controls: NEL, CSI, ...
        case 0x2028, 0x2029: return true  // line and paragraph separators
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        default: return false
        }
    }

    private static func appendHexEscapes(_ bytes: some Sequence<UInt8>, to line: inout [UInt8]) {
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in bytes {
            line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
