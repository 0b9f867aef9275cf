import IMAPProtocol
import IMAPStore

/// A SEARCH whose keys read only flags and numbers (UNSEEN, FLAGGED, KEYWORD, UID, sequence
/// sets, NOT/OR/AND of them: what clients send when they open a folder), compiled once against
/// the folder's keywords and evaluated on a message's flag bits. `SearchMatcher` answers the
/// same keys through one generic candidate per message; on 100,000 messages that costs tens
/// of milliseconds in copies and metadata lookups, this a fraction of one. Both must agree
/// (FlagSearchTests compares them on every key).
struct FlagSearch {
    private indirect enum Node {
        case constant(Bool)
        case system(MaildirFlags.SystemFlag)
        case recent
        case keyword(Int)
        case uid(IMAPSequenceSet)
        case sequence(IMAPSequenceSet)
        case not(Node)
        case or(Node, Node)
        case and([Node])
    }

    private let root: Node
    /// Whether a key reads \Recent (the session's set is consulted only then).
    let readsRecent: Bool

    /// nil when a key reads anything but flags and numbers.
    init?(_ keys: [IMAPSearchKey], keywords: MaildirKeywords) {
        var readsRecent = false
        func compile(_ key: IMAPSearchKey) -> Node? {
            switch key {
            case .all: return .constant(true)
            case .answered: return .system(.answered)
            case .deleted: return .system(.deleted)
            case .draft: return .system(.draft)
            case .flagged: return .system(.flagged)
            case .seen: return .system(.seen)
            case .unanswered: return .not(.system(.answered))
            case .undeleted: return .not(.system(.deleted))
            case .undraft: return .not(.system(.draft))
            case .unflagged: return .not(.system(.flagged))
            case .unseen: return .not(.system(.seen))
            case .recent:
                readsRecent = true
                return .recent
            case .new:
                readsRecent = true
                return .and([.recent, .not(.system(.seen))])
            case .old:
                readsRecent = true
                return .not(.recent)
            // A keyword the folder never defined is on no message.
            case .keyword(let name): return keywords.index(of: name).map { .keyword($0) } ?? .constant(false)
            case .unkeyword(let name): return keywords.index(of: name).map { .not(.keyword($0)) } ?? .constant(true)
            case .uid(let set): return .uid(set)
            case .sequenceSet(let set): return .sequence(set)
            case .not(let inner): return compile(inner).map { .not($0) }
            case .or(let a, let b):
                guard let a = compile(a), let b = compile(b) else { return nil }
                return .or(a, b)
            case .and(let keys):
                var nodes: [Node] = []
                for key in keys {
                    guard let node = compile(key) else { return nil }
                    nodes.append(node)
                }
                return .and(nodes)
            default: return nil
            }
        }
        guard let root = compile(.and(keys)) else { return nil }
        self.root = root
        self.readsRecent = readsRecent
    }

    struct Message {
        var sequence: UInt32
        var uid: UInt32
        var flags: MaildirFlags
        var recent: Bool
    }

    func matches(_ message: Message, largestSequence: UInt32, largestUID: UInt32) -> Bool {
        func evaluate(_ node: Node) -> Bool {
            switch node {
            case .constant(let value): return value
            case .system(let flag): return message.flags.system.contains(flag)
            case .recent: return message.recent
            case .keyword(let index): return message.flags.keywords.contains(index)
            case .uid(let set): return set.contains(message.uid, largest: largestUID)
            case .sequence(let set): return set.contains(message.sequence, largest: largestSequence)
            case .not(let inner): return !evaluate(inner)
            case .or(let a, let b): return evaluate(a) || evaluate(b)
            case .and(let nodes):
                for node in nodes where !evaluate(node) { return false }
                return true
            }
        }
        return evaluate(root)
    }
}
