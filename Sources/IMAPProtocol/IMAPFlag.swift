/// A message flag (RFC 3501 §2.3.2, §9 `flag`): a system flag, a keyword, or a flag extension.
/// System flags compare case-insensitively, so they are kept as cases; keywords keep their
/// spelling as sent.
public enum IMAPFlag: Equatable, Hashable, Sendable {
    case answered, flagged, deleted, seen, draft
    /// `\Recent`: only ever sent by the server (a client cannot store it).
    case recent
    /// flag-keyword = atom
    case keyword(String)
    /// flag-extension = "\" atom, other than the system flags
    case `extension`(String)

    /// The wire form.
    public var text: String {
        switch self {
        case .answered: return "\\Answered"
        case .flagged: return "\\Flagged"
        case .deleted: return "\\Deleted"
        case .seen: return "\\Seen"
        case .draft: return "\\Draft"
        case .recent: return "\\Recent"
        case .keyword(let name): return name
        case .extension(let name): return "\\" + name
        }
    }

    /// From the wire form: `\` atom or atom (already checked to be atom characters).
    init(wire: String) {
        guard wire.hasPrefix("\\") else {
            self = .keyword(wire)
            return
        }
        switch IMAPCharacters.uppercased(wire.utf8) {
        case "\\ANSWERED": self = .answered
        case "\\FLAGGED": self = .flagged
        case "\\DELETED": self = .deleted
        case "\\SEEN": self = .seen
        case "\\DRAFT": self = .draft
        case "\\RECENT": self = .recent
        default: self = .extension(String(wire.dropFirst()))
        }
    }
}
