import NIOCore

/// Takes header fields out of the start of a message (local form, LF line ends) as it is
/// written: Authentication-Results fields that claim our authserv-id, which a sender could
/// otherwise plant to fake our verdict (RFC 8601 §5).
enum HeaderFieldRemoval {
    /// `piece` without the fields named `name` (case-insensitive) for which `matches(value)`
    /// holds; nil when there is none. Only the header is looked at: from the start up to the
    /// first empty line, or the end of `piece`; a field cut off by the end of `piece` stays.
    static func removingFields(from piece: ByteBuffer, named name: String,
                               where matches: (String) -> Bool) -> ByteBuffer? {
        let bytes = piece.readableBytesView
        let wanted = Array(name.lowercased().utf8)
        var ranges: [Range<Int>] = []  // fields to drop, offsets into `bytes`
        var fieldStart = bytes.startIndex
        var position = bytes.startIndex
        // Walk field by field: a field is its first line plus continuation lines (WSP first).
        while position < bytes.endIndex, bytes[position] != UInt8(ascii: "\n") {
            guard var lineEnd = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            while lineEnd + 1 < bytes.endIndex, bytes[lineEnd + 1] == UInt8(ascii: " ") || bytes[lineEnd + 1] == UInt8(ascii: "\t") {
                guard let next = bytes[(lineEnd + 1)...].firstIndex(of: UInt8(ascii: "\n")) else { return result(piece, ranges) }
                lineEnd = next
            }
            // A field that reaches the end of the piece may go on in the next: leave it.
            if lineEnd + 1 >= bytes.endIndex { break }
            fieldStart = position
            let field = bytes[fieldStart...lineEnd]
            if let colon = field.firstIndex(of: UInt8(ascii: ":")) {
                let fieldName = field[fieldStart..<colon].map { $0 | 0x20 }
                if fieldName.count == wanted.count, zip(fieldName, wanted).allSatisfy({ $0 == ($1 | 0x20) }),
                   matches(String(decoding: field[(colon + 1)...], as: UTF8.self)) {
                    ranges.append(fieldStart..<(lineEnd + 1))
                }
            }
            position = lineEnd + 1
        }
        return result(piece, ranges)
    }

    private static func result(_ piece: ByteBuffer, _ ranges: [Range<Int>]) -> ByteBuffer? {
        guard !ranges.isEmpty else { return nil }
        let bytes = piece.readableBytesView
        var output = ByteBufferAllocator().buffer(capacity: piece.readableBytes)
        var kept = bytes.startIndex
        for range in ranges {
            output.writeBytes(bytes[kept..<range.lowerBound])
            kept = range.upperBound
        }
        output.writeBytes(bytes[kept...])
        return output
    }
}
