/// A LIST/LSUB pattern (RFC 3501 §6.3.8): the reference and the mailbox argument joined, with
/// `*` matching anything and `%` anything but the hierarchy separator ".". Matched against the
/// wire form of a name (modified UTF-7 octets, as stored), so no decoding can fail here.
///
/// The reference is simply put in front of the pattern, as Dovecot does (`LIST "A" "%"` is
/// `A%`, `LIST "A." "%"` is `A.%`); RFC 3501 leaves a reference without a trailing separator
/// to the implementation.
struct ListPattern {
    /// Longer than any name can be (20 levels of 200 octets) plus generous wildcards; a longer
    /// pattern matches nothing rather than costing time.
    static let maximumLength = 8_192
    /// Each wildcard can keep one matcher state alive: this bounds a match to
    /// O(name length × wildcards).
    static let maximumWildcards = 32

    private enum Token: Equatable {
        case octet(UInt8)
        case any          // *
        case anyInLevel   // %
    }

    private let tokens: [Token]
    /// False when the pattern was over a limit: it then matches nothing.
    private let usable: Bool

    init(reference: [UInt8], pattern: [UInt8]) {
        let joined = reference + pattern
        var tokens: [Token] = []
        var wildcards = 0
        for byte in joined.prefix(Self.maximumLength + 1) {
            switch byte {
            case UInt8(ascii: "*"):
                // "**" and "%*" are "*"; "*%" too (the "*" already covers what "%" adds).
                if tokens.last == .anyInLevel { tokens.removeLast(); wildcards -= 1 }
                if tokens.last != .any { tokens.append(.any); wildcards += 1 }
            case UInt8(ascii: "%"):
                if tokens.last != .any && tokens.last != .anyInLevel { tokens.append(.anyInLevel); wildcards += 1 }
            default:
                tokens.append(.octet(byte))
            }
        }
        self.tokens = tokens
        usable = joined.count <= Self.maximumLength && wildcards <= Self.maximumWildcards
    }

    /// Whether `name` (wire octets) matches. `inbox` compares case-insensitively, since INBOX is
    /// the one name that is case-insensitive (RFC 3501 §5.1): `LIST "" "inbox"` finds it.
    func matches(_ name: [UInt8], inbox: Bool = false) -> Bool {
        guard usable else { return false }
        // The positions in `tokens` reachable so far, advanced one octet at a time (a Thompson
        // NFA): each wildcard keeps at most itself and what follows it alive, so a step costs
        // O(wildcards), never a backtracking blow-up.
        var marked = [Bool](repeating: false, count: tokens.count + 1)
        var states: [Int] = []
        func add(_ start: Int, to list: inout [Int]) {
            var state = start
            while true {
                if marked[state] { return }
                marked[state] = true
                list.append(state)
                // A wildcard may match nothing: the next position is reachable too.
                guard state < tokens.count, isWildcard(state) else { return }
                state += 1
            }
        }
        add(0, to: &states)
        for byte in name {
            for state in states { marked[state] = false }
            var next: [Int] = []
            for state in states where state < tokens.count {
                switch tokens[state] {
                case .any:
                    add(state, to: &next)
                case .anyInLevel:
                    if byte != UInt8(ascii: ".") { add(state, to: &next) }
                case .octet(let expected):
                    if expected == byte || (inbox && Self.upper(expected) == Self.upper(byte)) { add(state + 1, to: &next) }
                }
            }
            if next.isEmpty { return false }
            states = next
        }
        return marked[tokens.count]
    }

    private func isWildcard(_ index: Int) -> Bool {
        tokens[index] == .any || tokens[index] == .anyInLevel
    }

    private static func upper(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
    }
}
