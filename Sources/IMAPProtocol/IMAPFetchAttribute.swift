/// fetch-att (RFC 3501 §9). The macros ALL, FAST and FULL are expanded by the parser (§6.4.5).
public enum IMAPFetchAttribute: Equatable, Hashable, Sendable {
    case envelope, flags, internalDate, rfc822, rfc822Header, rfc822Size, rfc822Text, uid
    /// BODY without a section: the non-extensible BODYSTRUCTURE.
    case body
    case bodyStructure
    /// BODY[section]<partial> and BODY.PEEK[section]<partial>
    case bodySection(IMAPSection, partial: IMAPPartial?, peek: Bool)

    /// ALL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)
    public static let all: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size, .envelope]
    /// FAST = (FLAGS INTERNALDATE RFC822.SIZE)
    public static let fast: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size]
    /// FULL = (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY)
    public static let full: [IMAPFetchAttribute] = [.flags, .internalDate, .rfc822Size, .envelope, .body]
}

/// section = "[" [section-spec] "]"
/// section-spec = section-msgtext / (section-part ["." section-text])
public struct IMAPSection: Equatable, Hashable, Sendable {
    /// section-part = nz-number *("." nz-number); empty for the whole message.
    public var part: [Int]
    public var text: Text?

    /// section-msgtext / "MIME"
    public enum Text: Equatable, Hashable, Sendable {
        case header
        case headerFields([[UInt8]])
        case headerFieldsNot([[UInt8]])
        case text
        /// Only after a part number (RFC 3501 §6.4.5).
        case mime
    }

    public init(part: [Int] = [], text: Text? = nil) {
        self.part = part
        self.text = text
    }

    /// `BODY[]`: the whole message.
    public static let whole = IMAPSection()
}

/// "<" number "." nz-number ">" (RFC 3501 §9 fetch-att)
public struct IMAPPartial: Equatable, Hashable, Sendable {
    public var offset: UInt32
    public var length: UInt32

    public init(offset: UInt32, length: UInt32) {
        self.offset = offset
        self.length = length
    }
}
