/// The Authentication-Results header field (RFC 8601) Tsubame adds to every message it
/// receives on port 25.
public enum AuthenticationResultsField {
    /// "Authentication-Results: ID;\n\tspf=pass smtp.mailfrom=…;\n\tdkim=pass header.d=… header.s=… header.b=…;\n\tdmarc=pass header.from=…\n"
    /// LF line ends, folded, ending in LF; every value quoted or escaped so nothing a client
    /// sent can break the field (RFC 8601 §2.2: values are `value` = token / quoted-string).
    /// `helo` is the HELO check (smtp.helo); dkim=none when there are no signatures.
    ///
    /// For a null reverse path, smtp.mailfrom is "postmaster@HELO": the identity SPF checked
    /// (RFC 7208 §2.4), so the property still names a mailbox.
    public static func render(authservID: String, spf: SPFOutcome, mailFrom: String, helo: SPFOutcome?,
                              heloName: String, dkim: [DKIMVerification], dmarc: DMARCOutcome) -> String {
        var resinfos: [String] = []
        let checkedMailFrom = mailFrom.isEmpty ? "postmaster@" + heloName : mailFrom
        resinfos.append("spf=\(spf.result.rawValue)\(comment(spf.reason)) smtp.mailfrom=\(value(checkedMailFrom))")
        if let helo {
            resinfos.append("spf=\(helo.result.rawValue)\(comment(helo.reason)) smtp.helo=\(value(heloName))")
        }
        if dkim.isEmpty {
            // RFC 8601 §2.7.1: "none" when the message was not signed.
            resinfos.append("dkim=none")
        }
        for signature in dkim {
            var text = "dkim=\(signature.result.rawValue)"
            if let reason = signature.reason, !reason.isEmpty {
                // §2.2 reasonspec.
                text += " reason=\(quoted(reason))"
            }
            if !signature.domain.isEmpty { text += " header.d=\(value(signature.domain))" }
            if !signature.selector.isEmpty { text += " header.s=\(value(signature.selector))" }
            if let identity = signature.identity, !identity.isEmpty { text += " header.i=\(value(identity))" }
            // RFC 6008 §4: the first characters of b=, to tell signatures of one domain apart.
            if !signature.signaturePrefix.isEmpty { text += " header.b=\(value(signature.signaturePrefix))" }
            resinfos.append(text)
        }
        var dmarcText = "dmarc=\(dmarc.result.rawValue)"
        // "p=" and "dis=" (the disposition applied) are the customary comment (as large
        // receivers write it); the reason follows.
        var note: [String] = []
        if let requested = dmarc.requestedPolicy {
            note.append("p=\(requested.rawValue)")
            let disposition = dmarc.result == .fail ? (dmarc.policy ?? DMARCPolicy.none) : DMARCPolicy.none
            note.append("dis=\(disposition.rawValue)")
        }
        note.append(dmarc.reason)
        dmarcText += comment(note.joined(separator: " "))
        if let from = dmarc.fromDomain { dmarcText += " header.from=\(value(from))" }
        resinfos.append(dmarcText)
        return "Authentication-Results: \(value(authservID));\n\t" + resinfos.joined(separator: ";\n\t") + "\n"
    }

    /// True when the value of an existing Authentication-Results field (or
    /// ARC/“Authentication-Results”-like field) names `authservID` as its authserv-id
    /// (RFC 8601 §5: such fields are removed before ours is added). Case-insensitive,
    /// comments and whitespace around the id allowed.
    ///
    ///     authres-header-field = "Authentication-Results:" authserv-id [ CFWS authres-version ] ...
    public static func claims(authservID: String, fieldValue: String) -> Bool {
        var scanner = HeaderValueScanner(fieldValue)
        scanner.skipCFWS()
        guard let id = scanner.readValue() else { return false }
        // What follows must be CFWS, a version number, then ";" or the end (§2.2): "id;",
        // "id 1;", "id (comment);", "id" alone (a field with no results, "none").
        scanner.skipCFWS()
        if scanner.peek?.isNumber == true {
            _ = scanner.readValue()
            scanner.skipCFWS()
        }
        guard scanner.atEnd || scanner.peek == ";" else { return false }
        return id.lowercased() == authservID.lowercased()
    }

    // MARK: - Values and comments

    /// RFC 2045 tspecials: never in a token.
    private static let tspecials: Set<Character> = ["(", ")", "<", ">", "@", ",", ";", ":", "\\", "\"", "/", "[", "]", "?", "="]

    /// Drops what must never reach a header: control characters (CR and LF above all), so a
    /// value cannot end the field or start another. Non-ASCII becomes "?": the field is added
    /// to messages that may not be internationalized (RFC 6532 allows UTF-8 only in those),
    /// and common parsers (PyPI authres) read ASCII only.
    static func cleaned(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where scalar.value >= 0x20 && scalar.value != 0x7F {
            scalars.append(scalar.isASCII ? scalar : "?")
        }
        return String(scalars)
    }

    /// RFC 2045 token when possible, a dot-atom mailbox or domain (RFC 8601 §2.2 pvalue:
    /// `[ [ local-part ] "@" ] domain-name`) as is, else a quoted-string with `"` and `\`
    /// escaped.
    static func value(_ raw: String) -> String {
        let text = cleaned(raw)
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0 != " " && !tspecials.contains($0) }) { return text }
        if isPlainMailbox(text) { return text }
        return quoted(text)
    }

    static func quoted(_ raw: String) -> String {
        var text = "\""
        for character in cleaned(raw) {
            if character == "\"" || character == "\\" { text.append("\\") }
            text.append(character)
        }
        return text + "\""
    }

    /// [local-part] "@" domain, the local part a dot-atom of atext (RFC 5322 §3.2.3), the
    /// domain of letters, digits, "-" and "_".
    private static func isPlainMailbox(_ text: String) -> Bool {
        guard let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        func dotAtom(_ part: Substring, atext: (Character) -> Bool) -> Bool {
            let pieces = part.split(separator: ".", omittingEmptySubsequences: false)
            return !part.isEmpty && pieces.allSatisfy { !$0.isEmpty && $0.allSatisfy(atext) }
        }
        let atext: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-/=?^_`{|}~".contains($0)) }
        let ldh: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        // The local part is optional in a pvalue ("@example.com", an i= with no local part).
        return (local.isEmpty || dotAtom(local, atext: atext)) && dotAtom(domain, atext: ldh)
    }

    /// " (text)": parentheses and backslashes become brackets and slashes so the comment
    /// always balances (RFC 5322 §3.2.2 ctext excludes them); at most 200 characters.
    static func comment(_ raw: String) -> String {
        var text = ""
        for character in cleaned(raw) {
            switch character {
            case "(": text.append("[")
            case ")": text.append("]")
            case "\\": text.append("/")
            default: text.append(character)
            }
        }
        text = text.trimmingSpaces()
        guard !text.isEmpty else { return "" }
        if text.count > 200 { text = String(text.prefix(197)) + "..." }
        return " (\(text))"
    }
}

extension String {
    func trimmingSpaces() -> String {
        guard let start = firstIndex(where: { $0 != " " }), let end = lastIndex(where: { $0 != " " }) else { return "" }
        return String(self[start...end])
    }
}

/// Reads RFC 5322 CFWS, tokens and quoted-strings from a header field value.
struct HeaderValueScanner {
    private var characters: [Character]
    private var index = 0

    init(_ text: String) { characters = Array(text) }

    var atEnd: Bool { index >= characters.count }
    var peek: Character? { atEnd ? nil : characters[index] }

    /// Whitespace, folding and (nested) comments.
    mutating func skipCFWS() {
        while let character = peek {
            if character.isWhitespace {
                index += 1
            } else if character == "(" {
                var depth = 0
                while let inner = peek {
                    index += 1
                    if inner == "\\" { index += 1; continue }
                    if inner == "(" { depth += 1 }
                    if inner == ")" { depth -= 1; if depth == 0 { break } }
                }
            } else {
                return
            }
        }
    }

    /// A quoted-string's content, or the run of characters up to whitespace, "(" or ";".
    mutating func readValue() -> String? {
        guard let first = peek else { return nil }
        var text = ""
        if first == "\"" {
            index += 1
            while let character = peek {
                index += 1
                if character == "\\" {
                    if let next = peek { text.append(next); index += 1 }
                } else if character == "\"" {
                    return text
                } else {
                    text.append(character)
                }
            }
            return nil  // unterminated
        }
        while let character = peek, !character.isWhitespace, character != "(", character != ";" {
            text.append(character)
            index += 1
        }
        return text.isEmpty ? nil : text
    }
}
