/// One header field of a message or a MIME part, as offsets into the message's bytes.
struct HeaderField: Sendable {
    /// The field's first octet (its name).
    var start: Int
    /// Just past the field's last line end (folded lines included).
    var end: Int
    /// The name without the colon or the white space before it.
    var nameStart: Int, nameEnd: Int
    /// Just past the colon.
    var valueStart: Int
}

/// A header block (RFC 5322 §2.2): the fields and where the body begins.
struct MIMEHeader: Sendable {
    var fields: [HeaderField] = []
    /// The header's first octet.
    var start: Int
    /// Just past the blank line ending the header (or the part's end when it has none).
    var end: Int

    /// Reads header lines from `start` up to the first empty line, never past `limit`. Lines
    /// starting with white space continue the previous field (RFC 5322 §2.2.3); a line without a
    /// colon is kept in the header but is no field (as Dovecot skips it).
    static func parse(_ bytes: [UInt8], from start: Int, to limit: Int) -> MIMEHeader {
        var header = MIMEHeader(start: start, end: limit)
        var line = start
        while line < limit {
            var lineEnd = line
            while lineEnd < limit && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = lineEnd < limit ? lineEnd + 1 : limit
            let contentEnd = lineEnd > line && bytes[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
            if contentEnd == line {
                // The blank line ends the header and belongs to it.
                header.end = next
                return header
            }
            let first = bytes[line]
            if first == 0x20 || first == 0x09 {
                if !header.fields.isEmpty { header.fields[header.fields.count - 1].end = next }
            } else if let colon = firstIndex(of: 0x3A, in: bytes, from: line, to: contentEnd) {
                var nameEnd = colon
                while nameEnd > line && (bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09) { nameEnd -= 1 }
                header.fields.append(HeaderField(start: line, end: next, nameStart: line, nameEnd: nameEnd, valueStart: colon + 1))
            }
            line = next
        }
        header.end = limit
        return header
    }

    /// The first field called `name` (compared without case).
    func field(_ name: String, in bytes: [UInt8]) -> HeaderField? {
        let wanted = Array(name.utf8)
        return fields.first { ASCII.equalsIgnoringCase(bytes[$0.nameStart..<$0.nameEnd], wanted) }
    }

    /// The unfolded value of the first field called `name`.
    func value(_ name: String, in bytes: [UInt8]) -> [UInt8]? {
        field(name, in: bytes).map { MIMEHeader.unfoldedValue($0, in: bytes) }
    }

    /// The unfolded value of the last field called `name`: ENVELOPE takes the last of repeated
    /// fields, as Dovecot does.
    func lastValue(_ name: String, in bytes: [UInt8]) -> [UInt8]? {
        let wanted = Array(name.utf8)
        return fields.last { ASCII.equalsIgnoringCase(bytes[$0.nameStart..<$0.nameEnd], wanted) }
            .map { MIMEHeader.unfoldedValue($0, in: bytes) }
    }

    /// The value with its line ends removed (RFC 5322 §2.2.3 unfolding; a TAB starting a
    /// continuation line becomes a space, as Dovecot writes it) and the white space after the
    /// colon dropped; trailing white space stays, as Dovecot keeps it in ENVELOPE.
    static func unfoldedValue(_ field: HeaderField, in bytes: [UInt8]) -> [UInt8] {
        var value: [UInt8] = []
        value.reserveCapacity(field.end - field.valueStart)
        var start = field.valueStart
        while start < field.end && ASCII.isSpace(bytes[start]) { start += 1 }
        var afterLineEnd = false
        for index in start..<field.end {
            let byte = bytes[index]
            if byte == 0x0A || (byte == 0x0D && index + 1 < field.end && bytes[index + 1] == 0x0A) {
                afterLineEnd = true
                continue
            }
            if byte == 0x0D {
                // A CR alone is no line end: Dovecot shows it as a space.
                value.append(0x20)
                continue
            }
            value.append(afterLineEnd && byte == 0x09 ? 0x20 : byte)
            afterLineEnd = false
        }
        return value
    }

    /// Whether the header ends with its blank line (a message of header only has none).
    func hasBlankLine(in bytes: [UInt8]) -> Bool {
        guard end > start, bytes[end - 1] == 0x0A else { return false }
        var lineStart = end - 1
        if lineStart > start && bytes[lineStart - 1] == 0x0D { lineStart -= 1 }
        return lineStart == start || bytes[lineStart - 1] == 0x0A
    }
}

func firstIndex(of byte: UInt8, in bytes: [UInt8], from start: Int, to end: Int) -> Int? {
    var index = start
    while index < end {
        if bytes[index] == byte { return index }
        index += 1
    }
    return nil
}

enum ASCII {
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    static func equalsIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }

    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var start = 0, end = bytes.count
        while start < end && isSpace(bytes[start]) { start += 1 }
        while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        return start == 0 && end == bytes.count ? bytes : Array(bytes[start..<end])
    }

    static func lowercased(_ bytes: [UInt8]) -> [UInt8] { bytes.map(lower) }
}
