import IMAPProtocol

/// Bounds on what one parse may build, so a hostile message stays linear (Dovecot's
/// CVE-2024-23184 was quadratic address parsing).
public struct MIMELimits: Sendable, Equatable {
    /// Nesting of multiparts and message/rfc822 parts.
    public var maximumDepth: Int
    /// Parts in the whole message; beyond it the rest is one opaque part.
    public var maximumParts: Int
    /// Addresses kept per envelope field.
    public var maximumAddresses: Int

    public init(maximumDepth: Int = 32, maximumParts: Int = 1_000, maximumAddresses: Int = 1_000) {
        self.maximumDepth = maximumDepth
        self.maximumParts = maximumParts
        self.maximumAddresses = maximumAddresses
    }
}

/// A message parsed once for FETCH and SEARCH: its MIME tree (RFC 2045/2046) over the CRLF
/// bytes, without copies of the parts.
public struct ParsedMessage: Sendable {
    /// The message with CRLF line ends, as IMAP serves it.
    public let bytes: [UInt8]
    let root: MIMEPart
    let limits: MIMELimits

    /// Parses `bytes` (CRLF form); never fails: malformed MIME is read as Dovecot reads it.
    public init(crlf bytes: [UInt8], limits: MIMELimits = MIMELimits()) {
        self.bytes = bytes
        self.limits = limits
        var parser = MIMETreeParser(bytes: bytes, limits: limits)
        root = parser.parsePart(from: 0, to: bytes.count, depth: 0, defaultType: .textPlain)
    }

    /// ENVELOPE (RFC 3501 §7.4.2) of the top-level header.
    public var envelope: IMAPEnvelope { BodyStructureBuilder(bytes: bytes, limits: limits).envelope(root.header) }

    /// BODYSTRUCTURE with extension data; the encoder leaves the extension data out for BODY.
    public var bodyStructure: IMAPBodyStructure { BodyStructureBuilder(bytes: bytes, limits: limits).structure(root) }

    /// The octets of BODY[section] (RFC 3501 §6.4.5), before any <partial>; nil when the part
    /// does not exist (the server then answers an empty string, as Dovecot does).
    public func section(_ section: IMAPSection) -> [UInt8]? {
        guard let (part, isMessage) = resolve(section.part) else { return nil }
        // HEADER/TEXT/HEADER.FIELDS address a message: the top one or a message/rfc822 part's.
        var message: MIMEPart? = isMessage ? part : nil
        if message == nil, case .message(let inner) = part.kind { message = inner.first }
        switch section.text {
        case nil:
            return section.part.isEmpty ? bytes : Array(bytes[part.bodyStart..<part.bodyEnd])
        case .mime:
            guard !section.part.isEmpty else { return nil }
            return Array(bytes[part.header.start..<part.header.end])
        case .header:
            guard let message else { return nil }
            return headerBytes(message.header)
        case .text:
            guard let message else { return nil }
            return Array(bytes[message.bodyStart..<message.bodyEnd])
        case .headerFields(let names):
            guard let message else { return nil }
            return fields(of: message.header, names: names, keep: true)
        case .headerFieldsNot(let names):
            guard let message else { return nil }
            return fields(of: message.header, names: names, keep: false)
        }
    }

    /// The top-level Date: field's date in its own zone, for SENTBEFORE/SENTON/SENTSINCE
    /// (RFC 3501 §6.4.4); nil when absent or unreadable.
    public var sentDate: IMAPDate? {
        root.header.value("Date", in: bytes).flatMap(MessageDate.date(from:))
    }

    /// Walks the part numbers (RFC 3501 §6.4.5): in a multipart the n-th part; in a
    /// message/rfc822 part, the numbers of the enclosed message's body; `1` of a message whose
    /// body is no multipart is that body. The flag tells whether the result is a whole message
    /// (the top one, reached with no number).
    func resolve(_ numbers: [Int]) -> (MIMEPart, isMessage: Bool)? {
        var current = root
        var atMessage = true  // `current` is a message whose body the next number addresses
        var canRepeat = false  // `current` is a single part that one more `1` still names
        for number in numbers {
            guard number >= 1 else { return nil }
            if !atMessage, case .message(let inner) = current.kind, let enclosed = inner.first {
                current = enclosed
                atMessage = true
            }
            switch current.kind {
            case .multipart(let children):
                guard number <= children.count else { return nil }
                current = children[number - 1]
                canRepeat = true
            default:
                // Dovecot: `1` of a message whose body is one part is that body; `1` below a
                // part of a multipart is that part once more (BODY[1.1] of a text/plain message
                // is empty, BODY[3.1] of a multipart's text part is that part).
                guard number == 1, atMessage || canRepeat else { return nil }
                canRepeat = false
            }
            atMessage = false
        }
        return (current, atMessage)
    }

    /// The header with its blank line; a header that ends the message without one is answered
    /// as it is (as Dovecot does).
    private func headerBytes(_ header: MIMEHeader) -> [UInt8] {
        Array(bytes[header.start..<header.end])
    }

    /// HEADER.FIELDS / HEADER.FIELDS.NOT: the matching fields as written, in message order,
    /// then the blank line; names compared without case.
    private func fields(of header: MIMEHeader, names: [[UInt8]], keep: Bool) -> [UInt8] {
        let wanted = Set(names.map(ASCII.lowercased))
        var result: [UInt8] = []
        for field in header.fields {
            let name = ASCII.lowercased(Array(bytes[field.nameStart..<field.nameEnd]))
            guard wanted.contains(name) == keep else { continue }
            result += bytes[field.start..<field.end]
            if result.last != 0x0A { result += [0x0D, 0x0A] }
        }
        // The blank line only when the header has one (Dovecot, for a message of header only).
        if header.hasBlankLine(in: bytes) || header.fields.isEmpty { result += [0x0D, 0x0A] }
        return result
    }
}

extension ParsedMessage {
    /// ENVELOPE from the top-level header alone (LF or CRLF line ends; the body may be
    /// missing): a FETCH ENVELOPE of a message not yet cached reads and parses only the header,
    /// as Dovecot does. The same envelope as `ParsedMessage(crlf:).envelope` of the whole message.
    public static func envelope(header bytes: [UInt8], limits: MIMELimits = MIMELimits()) -> IMAPEnvelope {
        let crlf = MessageLines.crlf(bytes)
        let header = MIMEHeader.parse(crlf, from: 0, to: crlf.count)
        return BodyStructureBuilder(bytes: crlf, limits: limits).envelope(header)
    }
}
