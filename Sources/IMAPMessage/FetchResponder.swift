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
        fatalError("IMAPMessage: not built yet")
    }

    /// Whether the FETCH sets \Seen: a non-PEEK BODY[…], RFC822 or RFC822.TEXT (§6.4.5).
    public static func setsSeen(_ attributes: [IMAPFetchAttribute]) -> Bool {
        fatalError("IMAPMessage: not built yet")
    }

    /// The items in the order asked, UID always included (RFC 3501 §6.4.8 for UID FETCH:
    /// `includeUID`); `message` is nil when `need` said metadata suffices.
    public static func items(for attributes: [IMAPFetchAttribute], metadata: MessageMetadata,
                             message: ParsedMessage?, includeUID: Bool) -> [IMAPFetchItem] {
        fatalError("IMAPMessage: not built yet")
    }

    /// INTERNALDATE's wire value for a time in seconds since 1970, in UTC.
    public static func dateTime(_ seconds: Int) -> IMAPDateTime {
        fatalError("IMAPMessage: not built yet")
    }
}
