import IMAPProtocol

/// address-list (RFC 5322 §3.4, with the obsolete forms of §4.4 tolerated) into ENVELOPE
/// addresses (RFC 3501 §7.4.2). One pass over the tokens, so thousands of addresses stay linear;
/// at most `limit` addresses are kept.
enum AddressListParser {
    private enum Token {
        /// An atom or a quoted string; `spaced` when white space came before it.
        case word([UInt8], spaced: Bool)
        case special(UInt8)
        case comment([UInt8])
    }

    private static let specials: Set<UInt8> = Set("()<>[]:;@\\,.\"".utf8)

    static func parse(_ value: [UInt8], limit: Int) -> [IMAPAddress] {
        let tokens = tokenize(value)
        var addresses: [IMAPAddress] = []
        var position = 0
        var inGroup = false
        var previousEnd: UInt8? = nil
        while position < tokens.count && addresses.count < limit {
            // One mailbox, a group start, or a group end, up to "," ";" or ":".
            var phrase: [[UInt8]] = []
            var local: [UInt8] = []
            var domain: [UInt8] = []
            var sawAt = false
            var angle = false
            var angleTokens: [Token] = []
            var routeAddress: IMAPAddress? = nil
            var trailingComment: [UInt8]? = nil
            var ended: UInt8? = nil
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                if angle {
                    if case .special(0x3E) = token {
                        angle = false
                        routeAddress = routeAddr(angleTokens)
                    } else if angleTokens.count < 4096 {
                        angleTokens.append(token)
                    }
                    continue
                }
                switch token {
                case .comment(let text):
                    // `a@b (Name)`: Dovecot takes a comment after the address as its name.
                    if sawAt && trailingComment == nil { trailingComment = text }
                case .special(let c):
                    switch c {
                    case 0x3C: angle = true
                    case 0x40: sawAt = true
                    case 0x2E:
                        if sawAt { domain.append(c) } else { local.append(c) }
                        if !phrase.isEmpty { phrase[phrase.count - 1].append(c) } else { phrase.append([c]) }
                    case 0x2C, 0x3B, 0x3A: ended = c
                    default: break
                    }
                case .word(let word, let spaced):
                    if sawAt { domain += word } else { local += word }
                    if routeAddress == nil {
                        // Adjacent words join without a space, as written (`"a "b""` → `a b`).
                        if !spaced, !phrase.isEmpty { phrase[phrase.count - 1] += word } else { phrase.append(word) }
                    }
                }
                if ended != nil { break }
            }
            if angle { routeAddress = routeAddr(angleTokens) }
            if ended == 0x3A && routeAddress == nil {
                // group = display-name ":" [group-list] ";"
                addresses.append(IMAPAddress(mailbox: join(phrase), host: nil))
                inGroup = true
                continue
            }
            if var address = routeAddress {
                let name = join(phrase)
                address.name = name.isEmpty ? nil : name
                addresses.append(address)
            } else if !local.isEmpty || sawAt {
                var address = missingPartsNamed(IMAPAddress(mailbox: local, host: domain))
                if let trailingComment, !trailingComment.isEmpty { address.name = trailingComment }
                addresses.append(address)
            } else if ended == 0x2C && previousEnd == 0x2C {
                // "a, , b": Dovecot keeps the empty element as a missing address.
                addresses.append(missingPartsNamed(IMAPAddress(mailbox: [], host: [])))
            }
            previousEnd = ended
            if ended == 0x3B && inGroup {
                addresses.append(IMAPAddress(mailbox: nil, host: nil))
                inGroup = false
            }
        }
        if inGroup && addresses.count < limit { addresses.append(IMAPAddress(mailbox: nil, host: nil)) }
        return addresses
    }

    /// angle-addr's content: [obs-route ":"] addr-spec; the route is kept as written (`@a,@b`).
    private static func routeAddr(_ tokens: [Token]) -> IMAPAddress {
        var position = 0
        var route: [UInt8] = []
        if case .special(0x40)? = tokens.first, tokens.contains(where: { if case .special(0x3A) = $0 { true } else { false } }) {
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                if case .special(0x3A) = token { break }
                switch token {
                case .special(let c): route.append(c)
                case .word(let word, _): route += word
                case .comment: break
                }
            }
        }
        var local: [UInt8] = [], domain: [UInt8] = []
        var sawAt = false
        for token in tokens[position...] {
            switch token {
            case .special(0x40): sawAt = true
            case .special(let c): if sawAt { domain.append(c) } else { local.append(c) }
            case .word(let word, _): if sawAt { domain += word } else { local += word }
            case .comment: break
            }
        }
        return missingPartsNamed(IMAPAddress(adl: route.isEmpty ? nil : route, mailbox: local, host: domain))
    }

    /// Dovecot's names for the parts a broken address lacks (`foo` → foo@MISSING_DOMAIN).
    private static func missingPartsNamed(_ address: IMAPAddress) -> IMAPAddress {
        var address = address
        if address.mailbox?.isEmpty ?? true { address.mailbox = Array("MISSING_MAILBOX".utf8) }
        if address.host?.isEmpty ?? true { address.host = Array("MISSING_DOMAIN".utf8) }
        return address
    }

    private static func join(_ words: [[UInt8]]) -> [UInt8] {
        var result: [UInt8] = []
        for word in words {
            if !result.isEmpty && word.first != 0x2E { result.append(0x20) }
            result += word
        }
        return result
    }

    /// Atoms, quoted strings (escapes undone), specials and comments (their text, for a name);
    /// white space only marks the word after it.
    private static func tokenize(_ value: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        let count = value.count
        var spaced = false
        while index < count {
            let byte = value[index]
            if ASCII.isSpace(byte) {
                index += 1
                spaced = true
                continue
            } else if byte == 0x28 {
                var depth = 0
                var text: [UInt8] = []
                while index < count {
                    let c = value[index]
                    if c == 0x5C {
                        if index + 1 < count { text.append(value[index + 1]) }
                        index += 2
                        continue
                    }
                    if c == 0x28 { depth += 1; if depth == 1 { index += 1; continue } }
                    if c == 0x29 { depth -= 1; if depth == 0 { index += 1; break } }
                    text.append(c)
                    index += 1
                }
                tokens.append(.comment(text))
            } else if byte == 0x22 {
                var word: [UInt8] = []
                index += 1
                while index < count && value[index] != 0x22 {
                    if value[index] == 0x5C && index + 1 < count { index += 1 }
                    word.append(value[index])
                    index += 1
                }
                index += 1
                tokens.append(.word(word, spaced: spaced))
            } else if byte == 0x5B {
                // domain-literal, kept with its brackets
                let start = index
                while index < count && value[index] != 0x5D { index += 1 }
                index = min(index + 1, count)
                tokens.append(.word(Array(value[start..<index]), spaced: spaced))
            } else if specials.contains(byte) {
                tokens.append(.special(byte))
                index += 1
            } else {
                let start = index
                while index < count, !ASCII.isSpace(value[index]), !specials.contains(value[index]) { index += 1 }
                tokens.append(.word(Array(value[start..<index]), spaced: spaced))
            }
            spaced = false
        }
        return tokens
    }
}
