import IMAPProtocol

/// What the store knows about a message without reading it.
public struct MessageMetadata: Sendable, Equatable {
    public var uid: UInt32
    /// Flags as IMAP names them, `\Recent` included when the session sees it recent.
    public var flags: [IMAPFlag]
    /// INTERNALDATE: the file's mtime, seconds since 1970 (UTC).
    public var internalDate: Int
    /// RFC822.SIZE: octets with CRLF line ends.
    public var size: Int

    public init(uid: UInt32, flags: [IMAPFlag], internalDate: Int, size: Int) {
        self.uid = uid
        self.flags = flags
        self.internalDate = internalDate
        self.size = size
    }
}

/// FETCH for one message (RFC 3501 §6.4.5, §7.4.2).
public enum FetchResponder {
    /// What a FETCH needs beyond the metadata.
    public enum Need: Comparable, Sendable {
        case metadata, content
    }

    public static func need(_ attributes: [IMAPFetchAttribute]) -> Need {
        attributes.contains { attribute in
            switch attribute {
            case .flags, .internalDate, .rfc822Size, .uid: false
            case .envelope, .body, .bodyStructure, .bodySection, .rfc822, .rfc822Header, .rfc822Text: true
            }
        } ? .content : .metadata
    }

    /// Whether the FETCH sets \Seen: a non-PEEK BODY[…], RFC822 or RFC822.TEXT (§6.4.5).
    public static func setsSeen(_ attributes: [IMAPFetchAttribute]) -> Bool {
        attributes.contains { attribute in
            switch attribute {
            case .bodySection(_, _, let peek): !peek
            case .rfc822, .rfc822Text: true
            default: false
            }
        }
    }

    /// The items in the order asked, UID always included (RFC 3501 §6.4.8 for UID FETCH:
    /// `includeUID`); `message` is nil when `need` said metadata suffices.
    public static func items(for attributes: [IMAPFetchAttribute], metadata: MessageMetadata,
                             message: ParsedMessage?, includeUID: Bool) -> [IMAPFetchItem] {
        var items: [IMAPFetchItem] = []
        items.reserveCapacity(attributes.count + 1)
        // Dovecot puts the UID a UID FETCH adds first.
        if includeUID && !attributes.contains(.uid) { items.append(.uid(metadata.uid)) }
        for attribute in attributes {
            switch attribute {
            case .flags: items.append(.flags(metadata.flags))
            case .internalDate: items.append(.internalDate(dateTime(metadata.internalDate)))
            case .rfc822Size: items.append(.rfc822Size(metadata.size))
            case .uid: items.append(.uid(metadata.uid))
            case .envelope: items.append(.envelope(message?.envelope ?? IMAPEnvelope()))
            case .body: items.append(.body(message?.bodyStructure ?? emptyBody))
            case .bodyStructure: items.append(.bodyStructure(message?.bodyStructure ?? emptyBody))
            case .bodySection(let section, let partial, _):
                let data = message?.section(section) ?? []
                guard let partial else {
                    items.append(.bodySection(section, origin: nil, data: data))
                    continue
                }
                items.append(.bodySection(section, origin: partial.offset, data: cut(data, partial)))
            case .rfc822: items.append(.rfc822(message?.bytes ?? []))
            case .rfc822Header: items.append(.rfc822Header(message?.section(IMAPSection(text: .header)) ?? []))
            case .rfc822Text: items.append(.rfc822Text(message?.section(IMAPSection(text: .text)) ?? []))
            }
        }
        return items
    }

    /// §6.4.5 partial: `length` octets from `offset`; an offset past the end gives the empty string.
    static func cut(_ data: [UInt8], _ partial: IMAPPartial) -> [UInt8] {
        let offset = Int(partial.offset)
        guard offset < data.count else { return [] }
        let end = offset + min(Int(partial.length), data.count - offset)
        return Array(data[offset..<end])
    }

    private static let emptyBody = IMAPBodyStructure.singlePart(
        IMAPSinglePart(type: "text", subtype: "plain", fields: IMAPBodyFields(parameters: [IMAPBodyParameter("charset", "us-ascii")],
                                                                               encoding: "7bit", octets: 0),
                       kind: .text(lines: 0)))

    /// INTERNALDATE's wire value for a time in seconds since 1970, in UTC.
    public static func dateTime(_ seconds: Int) -> IMAPDateTime {
        MessageDate.utc(seconds)
    }
}
