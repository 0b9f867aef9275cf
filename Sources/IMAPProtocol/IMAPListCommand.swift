/// LIST with the LIST-EXTENDED options (RFC 5258 §6), RETURN (STATUS ...) (RFC 5819) and
/// SPECIAL-USE (RFC 6154):
///     list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
public struct IMAPListCommand: Equatable, Sendable {
    public var selectionOptions: [SelectionOption]
    public var reference: IMAPMailboxName
    /// One pattern, or several in parentheses (RFC 5258 §3). Raw octets with `%` and `*`.
    public var patterns: [[UInt8]]
    /// Whether the patterns were given in parentheses (an extended LIST even with one).
    public var parenthesizedPatterns: Bool
    /// nil when there was no RETURN; an empty list for `RETURN ()`.
    public var returnOptions: [ReturnOption]?

    public enum SelectionOption: Equatable, Hashable, Sendable {
        case subscribed, remote, recursiveMatch, specialUse
        case other(String)
    }

    public enum ReturnOption: Equatable, Hashable, Sendable {
        case subscribed, children, specialUse
        case status([IMAPStatusAttribute])
        case other(String)
    }

    public init(selectionOptions: [SelectionOption] = [], reference: IMAPMailboxName, patterns: [[UInt8]],
                parenthesizedPatterns: Bool = false, returnOptions: [ReturnOption]? = nil) {
        self.selectionOptions = selectionOptions
        self.reference = reference
        self.patterns = patterns
        self.parenthesizedPatterns = parenthesizedPatterns
        self.returnOptions = returnOptions
    }

    /// The command is the basic RFC 3501 LIST (no LIST-EXTENDED syntax used).
    public var isBasic: Bool {
        selectionOptions.isEmpty && !parenthesizedPatterns && returnOptions == nil && patterns.count == 1
    }
}
