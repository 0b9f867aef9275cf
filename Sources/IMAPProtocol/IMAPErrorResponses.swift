/// The replies the server sends for what the framer and the parser refuse, so every glue
/// answers them the same way.
extension IMAPCommandError {
    /// `tag BAD text`, or `* BAD text` when the tag could not be read (RFC 3501 §7.1.3).
    public var response: IMAPResponse {
        let status = IMAPStatus(.bad, text)
        guard let tag else { return .untagged(.status(status)) }
        return .tagged(tag, status)
    }
}

extension IMAPFramingError {
    /// The reply to a command the framer dropped (`.refused`): an oversize literal is `NO
    /// [TOOBIG]` (RFC 7889 §2: the client may retry smaller), the other bounds `BAD [LIMIT]`.
    public func refusal(tag: String?) -> IMAPResponse {
        let status = IMAPStatus(self == .binaryLiteral || isLiteralTooLarge ? .no : .bad, code: responseCode, text)
        guard let tag else { return .untagged(.status(status)) }
        return .tagged(tag, status)
    }

    /// The replies before closing after `.fatal`: the command's BAD, then `* BYE` (RFC 3501
    /// §7.1.5), since the octets that follow cannot be told apart from commands.
    public func fatalResponses(tag: String?) -> [IMAPResponse] {
        let bad = IMAPStatus(.bad, code: responseCode, text)
        let first: IMAPResponse = tag.map { .tagged($0, bad) } ?? .untagged(.status(bad))
        return [first, .untagged(.bye(nil, "Closing: the rest of the stream cannot be read as commands"))]
    }

    private var isLiteralTooLarge: Bool {
        if case .literalTooLarge = self { return true }
        return false
    }
}
