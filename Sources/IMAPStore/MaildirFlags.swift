/// The flags in a Maildir file name's info part, `BASE:2,FLAGS` (cr.yp.to/proto/maildir.html),
/// as Dovecot reads and writes them (maildir-filename-flags.c):
///
/// - `D` \Draft, `F` \Flagged, `R` \Answered, `S` \Seen, `T` \Deleted ("trashed");
/// - `P` ("passed", forwarded) has no IMAP flag: Dovecot keeps it, and so do we;
/// - `a`–`z` are keywords 0–25, named in the folder's `dovecot-keywords`;
/// - any other letter is kept as it was, and so is a second flag set after another ",".
///
/// Rendered flags are sorted by their ASCII code, as Dovecot writes them (`:2,FRSab`).
public struct MaildirFlags: Sendable, Hashable {
    public enum SystemFlag: Character, Sendable, Hashable, CaseIterable {
        case draft = "D"
        case flagged = "F"
        case passed = "P"
        case answered = "R"
        case seen = "S"
        case deleted = "T"

        /// The IMAP name (RFC 3501 §2.3.2); nil for `P`, which IMAP has no flag for.
        public var imapName: String? {
            switch self {
            case .draft: "\\Draft"
            case .flagged: "\\Flagged"
            case .passed: nil
            case .answered: "\\Answered"
            case .seen: "\\Seen"
            case .deleted: "\\Deleted"
            }
        }

        public init?(imapName: String) {
            guard let flag = Self.allCases.first(where: { $0.imapName?.lowercased() == imapName.lowercased() }) else {
                return nil
            }
            self = flag
        }
    }

    public static let maximumKeywords = 26

    public var system: SystemFlagSet
    /// Indexes into `dovecot-keywords`, 0 (`a`) to 25 (`z`).
    public var keywords: KeywordIndexSet
    /// Letters we do not know, kept so another program's flags survive our renames.
    public var unknown: [Character]
    /// A further `,…` flag set: unknown to Dovecot too, kept verbatim after ours.
    public var extra: String

    public init(system: SystemFlagSet = [], keywords: KeywordIndexSet = [], unknown: [Character] = [], extra: String = "") {
        self.system = system
        self.keywords = keywords
        self.unknown = unknown
        self.extra = extra
    }

    /// The flags of a file name; a name without `:2,` has none (a message in new/).
    public init(fileName: String) {
        self.init()
        let bytes = fileName.utf8
        // Dovecot reads the info after the last ":" (maildir_filename_flags_get).
        guard let colon = bytes.lastIndex(of: UInt8(ascii: ":")) else { return }
        let info = bytes[bytes.index(after: colon)...]
        guard info.starts(with: "2,".utf8) else { return }
        let flags = info.dropFirst(2)
        let firstSetEnd = flags.firstIndex(of: UInt8(ascii: ",")) ?? flags.endIndex
        extra = String(Substring(flags[firstSetEnd...]))
        for byte in flags[flags.startIndex..<firstSetEnd] {
            if let flag = SystemFlag(rawValue: Character(Unicode.Scalar(byte))) {
                system.insert(flag)
            } else if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) {
                keywords.insert(Int(byte - UInt8(ascii: "a")))
            } else if byte < 0x80 {
                let character = Character(Unicode.Scalar(byte))
                if !unknown.contains(character) { unknown.append(character) }
            }
        }
    }

    /// The characters after `:2,`, sorted as Dovecot writes them.
    public var rendered: String {
        var characters = system.map(\.rawValue) + unknown
        characters += keywords.sorted().map { Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8($0))) }
        return String(characters.sorted { $0.unicodeScalars.first!.value < $1.unicodeScalars.first!.value }) + extra
    }

    /// `base` (the name without any info part) with these flags: `BASE:2,FLAGS`.
    public func fileName(base: String) -> String {
        "\(base):2,\(rendered)"
    }

    /// The name up to the info separator ":" (Dovecot's MAILDIR_INFO_SEP): the part that stays
    /// the same when flags change, and the key the uidlist records (maildir_filename_base_cmp).
    public static func stem(of fileName: String) -> Substring {
        let bytes = fileName.utf8
        return Substring(bytes[bytes.startIndex..<(bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex)])
    }
}
