import IMAPProtocol

/// A node of the MIME tree (RFC 2045, RFC 2046): offsets into the message's bytes, no copies.
struct MIMEPart: Sendable {
    enum Kind: Sendable {
        case leaf
        case multipart([MIMEPart])
        /// message/rfc822: the one element is the enclosed message (RFC 2046 §5.2.1).
        case message([MIMEPart])
    }

    struct ContentType: Sendable {
        var type: [UInt8]
        var subtype: [UInt8]
        var parameters: [IMAPBodyParameter]
        /// Whether the header said it (Dovecot adds `charset=us-ascii` to text parts either way).
        var explicit: Bool

        static let textPlain = ContentType(type: Array("text".utf8), subtype: Array("plain".utf8), parameters: [], explicit: false)
        static let messageRFC822 = ContentType(type: Array("message".utf8), subtype: Array("rfc822".utf8), parameters: [], explicit: false)

        func isType(_ name: String) -> Bool { ASCII.equalsIgnoringCase(type, Array(name.utf8)) }
        func isSubtype(_ name: String) -> Bool { ASCII.equalsIgnoringCase(subtype, Array(name.utf8)) }

        func parameter(_ name: String) -> [UInt8]? {
            let wanted = Array(name.utf8)
            return parameters.first { ASCII.equalsIgnoringCase($0.name, wanted) }?.value
        }
    }

    var header: MIMEHeader
    var contentType: ContentType
    var bodyStart: Int
    var bodyEnd: Int
    var kind: Kind
    /// A multipart or message/rfc822 part left unparsed at the depth or part limit.
    var opaque = false
}

/// Builds the tree in one pass per nesting level: each multipart scans only its own body for
/// its boundary, so the work is at most `maximumDepth` passes over the bytes.
struct MIMETreeParser {
    let bytes: [UInt8]
    let limits: MIMELimits
    private(set) var partCount = 0

    init(bytes: [UInt8], limits: MIMELimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func parsePart(from start: Int, to end: Int, depth: Int, defaultType: MIMEPart.ContentType) -> MIMEPart {
        partCount += 1
        let header = MIMEHeader.parse(bytes, from: start, to: end)
        var contentType = defaultType
        if let value = header.value("Content-Type", in: bytes), let parsed = MIMEFieldValue.contentType(value) {
            contentType = MIMEPart.ContentType(type: parsed.type, subtype: parsed.subtype, parameters: parsed.parameters, explicit: true)
        }
        var part = MIMEPart(header: header, contentType: contentType, bodyStart: header.end, bodyEnd: end, kind: .leaf)
        let isMultipart = contentType.isType("multipart")
        let isMessage = contentType.isType("message") && contentType.isSubtype("rfc822")
        guard isMultipart || isMessage else { return part }
        guard depth < limits.maximumDepth, partCount < limits.maximumParts else {
            part.opaque = true
            return part
        }
        if isMultipart {
            let childType: MIMEPart.ContentType = contentType.isSubtype("digest") ? .messageRFC822 : .textPlain
            part.kind = .multipart(parseChildren(of: part, boundary: contentType.parameter("boundary"), depth: depth, childType: childType))
        } else {
            part.kind = .message([parsePart(from: part.bodyStart, to: end, depth: depth + 1, defaultType: .textPlain)])
        }
        return part
    }

    /// RFC 2046 §5.1.1: parts lie between delimiter lines `--boundary` (the line end before a
    /// delimiter belongs to it); the preamble and the epilogue after `--boundary--` are no
    /// parts; a missing close delimiter ends the last part at the end of the body. Like Dovecot,
    /// a line that starts with the delimiter counts, and a multipart without any delimiter has
    /// one empty text/plain part.
    private mutating func parseChildren(of part: MIMEPart, boundary: [UInt8]?, depth: Int,
                                        childType: MIMEPart.ContentType) -> [MIMEPart] {
        let start = part.bodyStart, end = part.bodyEnd
        var children: [MIMEPart] = []
        if let boundary, !boundary.isEmpty {
            let delimiter = [0x2D, 0x2D] + boundary
            var partStart: Int? = nil
            var line = start
            while line < end {
                var lineEnd = line
                while lineEnd < end && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                let next = lineEnd < end ? lineEnd + 1 : end
                if hasPrefix(delimiter, at: line, end: end) {
                    if let open = partStart {
                        var close = line
                        if !endsWithNestedClose(open: open, line: line, childType: childType) {
                            if close > open && bytes[close - 1] == 0x0A { close -= 1 }
                            if close > open && bytes[close - 1] == 0x0D { close -= 1 }
                        }
                        if !appendChild(&children, from: open, to: close, fullEnd: end, depth: depth, childType: childType) {
                            return children
                        }
                    }
                    let after = line + delimiter.count
                    let isClose = after + 1 < end && bytes[after] == 0x2D && bytes[after + 1] == 0x2D
                    if isClose || lineEnd >= end { return finish(children, start: start, depth: depth, childType: childType) }
                    partStart = next
                }
                line = next
            }
            if let open = partStart {
                _ = appendChild(&children, from: open, to: end, fullEnd: end, depth: depth, childType: childType)
            }
        }
        return finish(children, start: start, depth: depth, childType: childType)
    }

    private mutating func finish(_ children: [MIMEPart], start: Int, depth: Int, childType: MIMEPart.ContentType) -> [MIMEPart] {
        guard children.isEmpty else { return children }
        // An empty part at the body's start, with no header (Dovecot's reading).
        partCount += 1
        let header = MIMEHeader(fields: [], start: start, end: start)
        return [MIMEPart(header: header, contentType: .textPlain, bodyStart: start, bodyEnd: start, kind: .leaf)]
    }

    /// Adds one part; past the part limit the rest of the body becomes one opaque part and the
    /// answer is false.
    private mutating func appendChild(_ children: inout [MIMEPart], from start: Int, to end: Int, fullEnd: Int,
                                      depth: Int, childType: MIMEPart.ContentType) -> Bool {
        guard partCount < limits.maximumParts else {
            let header = MIMEHeader(fields: [], start: start, end: start)
            children.append(MIMEPart(header: header, contentType: .textPlain, bodyStart: start, bodyEnd: fullEnd,
                                     kind: .leaf, opaque: true))
            partCount += 1
            return false
        }
        children.append(parsePart(from: start, to: max(start, end), depth: depth + 1, defaultType: childType))
        return true
    }

    /// Dovecot reads a close delimiter's line end as part of that line: when a part's own
    /// multipart (or its enclosed message's) closes right before this delimiter, the line end
    /// between them stays in the part instead of going to this delimiter.
    private func endsWithNestedClose(open: Int, line: Int, childType: MIMEPart.ContentType) -> Bool {
        var end = line
        guard end > open, bytes[end - 1] == 0x0A else { return false }
        end -= 1
        if end > open && bytes[end - 1] == 0x0D { end -= 1 }
        var start = end
        while start > open && bytes[start - 1] != 0x0A { start -= 1 }
        guard end - start >= 5, bytes[start] == 0x2D, bytes[start + 1] == 0x2D,
              bytes[end - 1] == 0x2D, bytes[end - 2] == 0x2D else { return false }
        let candidate = Array(bytes[(start + 2)..<(end - 2)])
        func boundary(headerFrom from: Int, defaultType: MIMEPart.ContentType) -> (MIMEPart.ContentType, Int) {
            let header = MIMEHeader.parse(bytes, from: from, to: line)
            var type = defaultType
            if let value = header.value("Content-Type", in: bytes), let parsed = MIMEFieldValue.contentType(value) {
                type = MIMEPart.ContentType(type: parsed.type, subtype: parsed.subtype, parameters: parsed.parameters, explicit: true)
            }
            return (type, header.end)
        }
        var (type, bodyStart) = boundary(headerFrom: open, defaultType: childType)
        if type.isType("message") && type.isSubtype("rfc822") {
            (type, bodyStart) = boundary(headerFrom: bodyStart, defaultType: .textPlain)
        }
        return type.isType("multipart") && type.parameter("boundary") == candidate
    }

    private func hasPrefix(_ prefix: [UInt8], at index: Int, end: Int) -> Bool {
        guard end - index >= prefix.count else { return false }
        for offset in 0..<prefix.count where bytes[index + offset] != prefix[offset] { return false }
        return true
    }
}
