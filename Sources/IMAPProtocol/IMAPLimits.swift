/// Every bound the IMAP core enforces, in one place (as swift-nio-imap's `IMAPDefaults`).
///
/// The framer and the parser take one value of this; the server may hand a tighter one to a
/// session that has not logged in yet.
public struct IMAPLimits: Sendable, Equatable {
    /// Octets in one line of a command (up to a literal or the end), without its line end.
    /// RFC 7162 §4 asks for at least 8,192; Dovecot allows 64 KiB (`imap_max_line_length`).
    public var maximumLineLength: Int
    /// Octets of one command held in memory: its lines plus the literals kept inline.
    public var maximumCommandSize: Int
    /// Literals above this size are not kept in the frame but handed out as `.literalBytes`
    /// chunks, so APPEND can stream them to a file.
    public var inlineLiteralThreshold: Int
    /// The largest literal accepted at all: APPENDLIMIT (RFC 7889), the SMTP size limit.
    public var appendLimit: Int
    /// Literals in one command (MULTIAPPEND sends one per message, RFC 3502).
    public var maximumLiteralCount: Int
    /// Depth of nested parenthesised lists (SEARCH, FETCH, LIST, ID). Unbounded nesting was a
    /// memory DoS in Dovecot (CVE-2026-27857); the parser recurses, so this also bounds the stack.
    public var maximumNestingDepth: Int

    public init(maximumLineLength: Int = 65_536, maximumCommandSize: Int = 1_048_576,
                inlineLiteralThreshold: Int = 65_536, appendLimit: Int = 52_428_800,
                maximumLiteralCount: Int = 256, maximumNestingDepth: Int = 50) {
        self.maximumLineLength = maximumLineLength
        self.maximumCommandSize = maximumCommandSize
        self.inlineLiteralThreshold = inlineLiteralThreshold
        self.appendLimit = appendLimit
        self.maximumLiteralCount = maximumLiteralCount
        self.maximumNestingDepth = maximumNestingDepth
    }

    /// Lines of at least 8,192 octets must be accepted (RFC 7162 §4).
    public static let minimumLineLength = 8_192
}
