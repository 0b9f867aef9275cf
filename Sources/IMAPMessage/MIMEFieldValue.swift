import IMAPProtocol

/// The structured MIME field values (RFC 2045 §5.1, §6; RFC 2183; RFC 3282), read from an
/// unfolded field value. Case is kept as written: Dovecot prints `"Text" "HTML"` as sent.
enum MIMEFieldValue {
    enum Token: Equatable {
        /// A token or a quoted string's content.
        case word([UInt8], quoted: Bool)
        case special(UInt8)
    }

    /// RFC 2045 §5.1 tspecials (and "/" "=" ";" among them) split tokens; comments (nestable,
    /// RFC 5322 §3.2.2) are dropped; a quoted string's backslash escapes are undone.
    static func tokens(_ value: [UInt8], specials: Set<UInt8> = tspecials) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        let count = value.count
        while index < count {
            let byte = value[index]
            if ASCII.isSpace(byte) {
                index += 1
            } else if byte == 0x28 {  // "(" comment
                var depth = 0
                while index < count {
                    let c = value[index]
                    if c == 0x5C { index += 2; continue }
                    if c == 0x28 { depth += 1 }
                    if c == 0x29 { depth -= 1; if depth == 0 { index += 1; break } }
                    index += 1
                }
            } else if byte == 0x22 {  // quoted-string
                var word: [UInt8] = []
                index += 1
                while index < count && value[index] != 0x22 {
                    if value[index] == 0x5C && index + 1 < count { index += 1 }
                    word.append(value[index])
                    index += 1
                }
                index += 1
                tokens.append(.word(word, quoted: true))
            } else if specials.contains(byte) {
                tokens.append(.special(byte))
                index += 1
            } else {
                let start = index
                while index < count, !ASCII.isSpace(value[index]), !specials.contains(value[index]),
                      value[index] != 0x28, value[index] != 0x22 {
                    index += 1
                }
                tokens.append(.word(Array(value[start..<index]), quoted: false))
            }
        }
        return tokens
    }

    static let tspecials: Set<UInt8> = Set("()<>@,;:\\\"/[]?=".utf8)

    /// `type "/" subtype *(";" parameter)`: the media type, as written (subtype empty when absent).
    static func contentType(_ value: [UInt8]) -> (type: [UInt8], subtype: [UInt8], parameters: [IMAPBodyParameter])? {
        let tokens = tokens(value)
        guard case .word(let type, _)? = tokens.first else { return nil }
        var position = 1
        var subtype: [UInt8] = []
        if position < tokens.count, tokens[position] == .special(0x2F) {
            position += 1
            if position < tokens.count, case .word(let word, _) = tokens[position] {
                subtype = word
                position += 1
            }
        }
        return (type, subtype, parameters(tokens, from: position))
    }

    /// `disposition-type *(";" parameter)` (RFC 2183 §2).
    static func disposition(_ value: [UInt8]) -> (kind: [UInt8], parameters: [IMAPBodyParameter])? {
        let tokens = tokens(value)
        guard case .word(let kind, _)? = tokens.first else { return nil }
        return (kind, parameters(tokens, from: 1))
    }

    /// `";" attribute "=" value` pairs; malformed pairs are skipped. RFC 2231 continuations
    /// (`name*0`, `name*1*`) are joined into one parameter, `name*` when any piece is encoded.
    static func parameters(_ tokens: [Token], from start: Int) -> [IMAPBodyParameter] {
        // Plain parameters and RFC 2231 continuation groups, in the order they first appear.
        enum Entry {
            case plain([UInt8], [UInt8])
            case continued([UInt8], [(index: Int, value: [UInt8], encoded: Bool)])
        }
        var entries: [Entry] = []
        var position = start
        while position < tokens.count {
            guard tokens[position] == .special(0x3B) else { position += 1; continue }
            position += 1
            guard position + 1 < tokens.count, case .word(let name, false) = tokens[position],
                  tokens[position + 1] == .special(0x3D) else { continue }
            var value: [UInt8] = []
            if position + 2 < tokens.count, case .word(let word, _) = tokens[position + 2] {
                value = word
                position += 3
            } else {
                position += 2
            }
            guard let (base, index, encoded) = continuation(name) else {
                entries.append(.plain(name, value))
                continue
            }
            let slot = entries.firstIndex { entry in
                if case .continued(let existing, _) = entry { return ASCII.equalsIgnoringCase(existing, base) }
                return false
            }
            if let slot, case .continued(let existing, var pieces) = entries[slot] {
                if pieces.count < 64 { pieces.append((index, value, encoded)) }
                entries[slot] = .continued(existing, pieces)
            } else {
                entries.append(.continued(base, [(index, value, encoded)]))
            }
        }
        return entries.map { entry in
            var parameter = IMAPBodyParameter("", "")
            switch entry {
            case .plain(let name, let value):
                parameter.name = name
                parameter.value = value
            case .continued(let name, let pieces):
                let ordered = pieces.sorted { $0.index < $1.index }
                parameter.name = ordered.contains { $0.encoded } ? name + [0x2A] : name
                parameter.value = ordered.flatMap(\.value)
            }
            return parameter
        }
    }

    /// `name*` → (name, 0, true); `name*2` → (name, 2, false); `name*2*` → (name, 2, true).
    private static func continuation(_ name: [UInt8]) -> (base: [UInt8], index: Int, encoded: Bool)? {
        guard let star = name.firstIndex(of: 0x2A), star > 0 else { return nil }
        let base = Array(name[..<star])
        var rest = name[(star + 1)...]
        var encoded = false
        if rest.last == 0x2A { encoded = true; rest = rest.dropLast() }
        if rest.isEmpty { return encoded || name.last == 0x2A ? (base, 0, true) : nil }
        guard rest.count <= 3, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return (base, Int(String(decoding: rest, as: UTF8.self)) ?? 0, encoded)
    }

    /// Content-Language: language tags separated by commas (RFC 3282 §2).
    static func languages(_ value: [UInt8]) -> [[UInt8]] {
        tokens(value, specials: [0x2C]).compactMap { token in
            if case .word(let word, _) = token { return word }
            return nil
        }
    }
}
