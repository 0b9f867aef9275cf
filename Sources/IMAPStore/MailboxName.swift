/// A mailbox name as a path of hierarchy levels (`["Archive", "2024"]`), checked so it can
/// only ever name a `.Archive.2024` directory directly under the user's Maildir root.
///
/// The hierarchy separator is ".", Dovecot's for the Maildir++ layout (MAILDIR_FS_SEP; its
/// namespace separator defaults to the layout's, and Debian's config leaves it unset), so IMAP
/// clients see `Archive.2024` and a level can never contain ".". On disk and on the wire each
/// level is in modified UTF-7 (RFC 3501 §5.1.3), as Dovecot stores it.
public struct MailboxName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let separator: Character = "."
    /// Dovecot's limits (mailbox-list.c): 20 levels of at most 200 octets each on disk.
    public static let maximumLevels = 20
    public static let maximumLevelLength = 200

    public enum Invalid: Error, Equatable, Sendable {
        case empty
        case emptyLevel            // a leading, trailing or doubled "."
        case forbiddenCharacter(Character)  // "/", "~" at the start, control characters
        case tooDeep
        case tooLong
        case modifiedUTF7(ModifiedUTF7.DecodingError)
    }

    /// Decoded levels (Unicode).
    public let levels: [String]

    public static let inbox = MailboxName(validated: ["INBOX"])

    private init(validated levels: [String]) { self.levels = levels }

    /// From the levels, each checked.
    public init(levels: [String]) throws(Invalid) {
        guard !levels.isEmpty else { throw .empty }
        guard levels.count <= Self.maximumLevels else { throw .tooDeep }
        for level in levels { try Self.check(level: level) }
        self.levels = levels.count == 1 && levels[0].uppercased() == "INBOX" ? ["INBOX"] : levels
    }

    /// From the IMAP wire form: modified UTF-7, decoded strictly, levels split at ".".
    /// "INBOX" in any case is the inbox (RFC 3501 §5.1).
    public init(imap encoded: String) throws(Invalid) {
        guard !encoded.isEmpty else { throw .empty }
        let decoded: String
        do {
            decoded = try ModifiedUTF7.decode(encoded)
        } catch {
            throw .modifiedUTF7(error)
        }
        try self.init(levels: decoded.split(separator: Self.separator, omittingEmptySubsequences: false).map(String.init))
    }

    static func check(level: String) throws(Invalid) {
        guard !level.isEmpty else { throw .emptyLevel }
        if level.hasPrefix("~") { throw .forbiddenCharacter("~") }
        for scalar in level.unicodeScalars {
            if scalar == "/" || scalar == "." { throw .forbiddenCharacter(Character(scalar)) }
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                throw .forbiddenCharacter(Character(scalar))
            }
        }
        guard ModifiedUTF7.encode(level).utf8.count <= Self.maximumLevelLength else { throw .tooLong }
    }

    public var isInbox: Bool { levels == ["INBOX"] }

    /// What IMAP clients see: levels joined by ".", in modified UTF-7.
    public var imapName: String { ModifiedUTF7.encode(displayName) }

    /// Levels joined by ".", in Unicode.
    public var displayName: String { levels.joined(separator: String(Self.separator)) }

    /// The directory under the Maildir root: "." and the encoded levels joined by "."; nil for
    /// the inbox, which is the root itself.
    public var directoryName: String? {
        isInbox ? nil : "." + levels.map(ModifiedUTF7.encode).joined(separator: ".")
    }

    /// The name of a `.Name` directory, or nil when it is not a well-formed folder name
    /// (hidden `..` entries such as a folder being deleted, invalid modified UTF-7).
    public init?(directoryName: String) {
        guard directoryName.hasPrefix("."), directoryName.count > 1 else { return nil }
        let levels = directoryName.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        var decoded: [String] = []
        for level in levels {
            guard let text = try? ModifiedUTF7.decode(String(level)) else { return nil }
            decoded.append(text)
        }
        guard let name = try? MailboxName(levels: decoded), !name.isInbox else { return nil }
        self = name
    }

    /// Whether `other` is below this name in the hierarchy.
    public func isAncestor(of other: MailboxName) -> Bool {
        other.levels.count > levels.count && Array(other.levels.prefix(levels.count)) == levels
    }

    public func appending(_ level: String) throws(Invalid) -> MailboxName {
        try MailboxName(levels: levels + [level])
    }

    public static func < (left: MailboxName, right: MailboxName) -> Bool {
        left.levels.lexicographicallyPrecedes(right.levels)
    }

    public var description: String { displayName }
}
