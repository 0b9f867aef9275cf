import IMAPProtocol

/// One message as SEARCH sees it: the metadata at once, the content only when a key needs it.
public protocol SearchCandidate {
    var sequenceNumber: UInt32 { get }
    var metadata: MessageMetadata { get }
    /// Loads and parses the message; nil when the file is gone (it then matches no content key).
    func content() -> ParsedMessage?
}

/// SEARCH (RFC 3501 §6.4.4): the keys ANDed; strings matched as case-insensitive substrings
/// of decoded text (RFC 2047 words in headers, quoted-printable and base64 bodies, charsets
/// converted to UTF-8).
public struct SearchMatcher: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        /// NO [BADCHARSET (US-ASCII UTF-8)] (§6.4.4)
        case badCharset
    }

    /// The charsets SEARCH accepts.
    public static let charsets = ["US-ASCII", "UTF-8"]

    public init(_ command: IMAPSearchCommand) throws(Failure) {
        fatalError("IMAPMessage: not built yet")
    }

    /// Whether any key reads the content (header or body).
    public var needsContent: Bool { fatalError("IMAPMessage: not built yet") }

    /// `largestSequence`/`largestUID` resolve `*` in sequence and UID sets.
    public func matches(_ candidate: some SearchCandidate, largestSequence: UInt32, largestUID: UInt32) -> Bool {
        fatalError("IMAPMessage: not built yet")
    }
}
