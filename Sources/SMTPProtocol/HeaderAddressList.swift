/// The addresses of an RFC 5322 address-list (§3.4), as in a From field: display names,
/// quoted strings, comments (nested, §3.2.2), groups (`name: a@b, c@d;`), angle addresses with
/// an obsolete route (§4.4), empty list elements (§4.4). Only the addr-specs are returned,
/// `local@domain`, without comments or folding whitespace; the local part keeps its quotes.
public enum HeaderAddressList {
    private enum Token: Equatable {
        case word(String)        // atom, quoted string (with quotes) or domain literal
        case special(UInt8)      // < > , : ; @ .
    }

    /// nil when the text is not an address list (unbalanced quotes, comments or brackets, a
    /// mailbox without a domain).
    public static func parse(_ text: String) -> [String]? {
        guard let tokens = tokenize(Array(text.utf8)) else { return nil }
        var addresses: [String] = []
        var current: [Token] = []
        var angle: [Token]?
        var inAngle = false
        var inGroup = false

        func flush() -> Bool {
            defer { current = []; angle = nil }
            let spec = angle ?? current
            if spec.isEmpty && angle == nil { return true }  // an empty element (§4.4)
            guard let address = addrSpec(spec) else { return false }
            addresses.append(address)
            return true
        }

        for token in tokens {
            if inAngle {
                if token == .special(UInt8(ascii: ">")) { inAngle = false; continue }
                guard token != .special(UInt8(ascii: "<")) else { return nil }
                angle?.append(token)
                continue
            }
            switch token {
            case .special(UInt8(ascii: "<")):
                guard angle == nil else { return nil }
                angle = []
                inAngle = true
            case .special(UInt8(ascii: ",")):
                guard flush() else { return nil }
            case .special(UInt8(ascii: ":")) where !inGroup && angle == nil:
                // group = display-name ":" [group-list] ";" (§3.4): the name is no address.
                inGroup = true
                current = []
            case .special(UInt8(ascii: ";")) where inGroup:
                guard flush() else { return nil }
                inGroup = false
            default:
                guard angle == nil else { return nil }  // nothing after "<...>" but "," or ";"
                current.append(token)
            }
        }
        guard !inAngle, !inGroup, flush() else { return nil }
        return addresses
    }

    /// addr-spec = local-part "@" domain, from the tokens of one mailbox. A display name without
    /// angle brackets is not a mailbox; an obsolete route ("@a,@b:") before it is dropped.
    private static func addrSpec(_ tokens: [Token]) -> String? {
        var tokens = tokens
        if let colon = tokens.firstIndex(of: .special(UInt8(ascii: ":"))), tokens.first == .special(UInt8(ascii: "@")) {
            tokens.removeSubrange(...colon)
        }
        guard let at = tokens.lastIndex(of: .special(UInt8(ascii: "@"))), at > 0, at < tokens.count - 1 else { return nil }
        var text = ""
        for (index, token) in tokens.enumerated() {
            switch token {
            case .word(let word): text += word
            case .special(UInt8(ascii: ".")): text += "."
            case .special(UInt8(ascii: "@")) where index == at: text += "@"
            default: return nil
            }
        }
        // Two words side by side would be a display name, not an addr-spec.
        for (left, right) in zip(tokens, tokens.dropFirst()) {
            if case .word = left, case .word = right { return nil }
        }
        return text
    }

    private static func tokenize(_ bytes: [UInt8]) -> [Token]? {
        var tokens: [Token] = []
        var index = 0
        let specials: Set<UInt8> = Set("<>,:;@.".utf8)
        let atomStops: Set<UInt8> = Set("<>,:;@.()[]\"\\ \t\r\n".utf8)
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                index += 1
            case UInt8(ascii: "("):
                // comment, nested, with quoted-pairs (§3.2.2)
                var depth = 0
                repeat {
                    guard index < bytes.count else { return nil }
                    switch bytes[index] {
                    case UInt8(ascii: "("): depth += 1
                    case UInt8(ascii: ")"): depth -= 1
                    case UInt8(ascii: "\\"): index += 1
                    default: break
                    }
                    index += 1
                } while depth > 0
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while true {
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
                    if bytes[index] == UInt8(ascii: "\"") { break }
                    index += 1
                }
                index += 1
                tokens.append(.word(String(decoding: bytes[start..<index], as: UTF8.self)))
            case UInt8(ascii: "["):
                guard let end = bytes[index...].firstIndex(of: UInt8(ascii: "]")) else { return nil }
                tokens.append(.word(String(decoding: bytes[index...end], as: UTF8.self)))
                index = end + 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "\\"):
                return nil
            default:
                if specials.contains(byte) {
                    tokens.append(.special(byte))
                    index += 1
                } else {
                    let start = index
                    while index < bytes.count, !atomStops.contains(bytes[index]) { index += 1 }
                    tokens.append(.word(String(decoding: bytes[start..<index], as: UTF8.self)))
                }
            }
        }
        return tokens
    }
}
