/// SEARCH [CHARSET astring] 1*(SP search-key) (RFC 3501 §6.4.4)
public struct IMAPSearchCommand: Equatable, Sendable {
    /// As sent (upper case for comparison is up to the server): nil when absent (US-ASCII).
    public var charset: String?
    /// All must match (the keys are ANDed, §6.4.4).
    public var keys: [IMAPSearchKey]

    public init(charset: String? = nil, keys: [IMAPSearchKey]) {
        self.charset = charset
        self.keys = keys
    }
}

/// search-key (RFC 3501 §9). Strings are octets in the command's charset.
public indirect enum IMAPSearchKey: Equatable, Sendable {
    case all, answered, deleted, draft, flagged, new, old, recent, seen
    case unanswered, undeleted, undraft, unflagged, unseen
    case bcc([UInt8]), body([UInt8]), cc([UInt8]), from([UInt8]), subject([UInt8]), text([UInt8]), to([UInt8])
    case header(field: [UInt8], value: [UInt8])
    case keyword(String), unkeyword(String)
    case before(IMAPDate), on(IMAPDate), since(IMAPDate)
    case sentBefore(IMAPDate), sentOn(IMAPDate), sentSince(IMAPDate)
    case larger(UInt32), smaller(UInt32)
    case uid(IMAPSequenceSet)
    case sequenceSet(IMAPSequenceSet)
    case not(IMAPSearchKey)
    case or(IMAPSearchKey, IMAPSearchKey)
    /// "(" search-key *(SP search-key) ")"
    case and([IMAPSearchKey])
}
