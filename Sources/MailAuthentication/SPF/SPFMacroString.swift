/// A macro-string (RFC 7208 §7.1), parsed once so a bad macro is a syntax error of the whole
/// record (§4.6: permerror before anything is evaluated), and expanded per evaluation.
///
///     macro-string = *( macro-expand / macro-literal )
///     macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
///     macro-literal = %x21-24 / %x26-7E
public struct SPFMacroString: Sendable, Equatable {
    public enum Context: Sendable {
        /// A domain-spec or an unknown modifier's value: c, r and t are not allowed (§7.2).
        case domainSpec
        /// Anything an unknown modifier holds: every letter.
        case modifier
        /// exp= text (explain-string, §6.2): spaces allowed, c, r and t too.
        case explanation
    }

    enum Part: Sendable, Equatable {
        case literal(String)
        case macro(SPFMacro)
    }

    var parts: [Part]

    public init(parsing text: String, context: Context) throws(SPFSyntaxError) {
        var parts: [Part] = []
        var literal = ""
        var scalars = text.unicodeScalars[...]
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
        }
        while let scalar = scalars.popFirst() {
            if scalar == "%" {
                guard let next = scalars.popFirst() else { throw SPFSyntaxError("a lone % at the end of \"\(text)\"") }
                switch next {
                case "%": literal += "%"
                case "_": literal += " "
                case "-": literal += "%20"
                case "{":
                    guard let close = scalars.firstIndex(of: "}") else { throw SPFSyntaxError("unclosed %{ in \"\(text)\"") }
                    let body = String(String.UnicodeScalarView(scalars[..<close]))
                    scalars = scalars[scalars.index(after: close)...]
                    flush()
                    parts.append(.macro(try SPFMacro(parsing: body, context: context)))
                default:
                    throw SPFSyntaxError("invalid macro %\(next) in \"\(text)\"")
                }
            } else if (0x21...0x7E).contains(scalar.value) || (scalar == " " && context == .explanation) {
                literal.unicodeScalars.append(scalar)
            } else {
                throw SPFSyntaxError("invalid character in \"\(text)\"")
            }
        }
        flush()
        self.parts = parts
    }

    /// True when a macro uses this letter (so %{p}'s lookups happen only when asked for).
    func uses(_ letter: Character) -> Bool {
        parts.contains { if case .macro(let macro) = $0 { macro.letter == letter } else { false } }
    }

    /// domain-end (§4.6.1, §7.1): a domain-spec must end in a macro or in "." toplabel ["."],
    /// so "include:localhost" or "a:192.0.2.1" are syntax errors.
    var hasValidDomainEnd: Bool {
        guard case .literal(let text)? = parts.last else { return !parts.isEmpty }
        var body = Substring(text)
        if body.hasSuffix(".") { body = body.dropLast() }
        guard let dot = body.lastIndex(of: ".") else { return false }
        return Self.isTopLabel(body[body.index(after: dot)...])
    }

    /// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    static func isTopLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return false }
        if !bytes.contains(UInt8(ascii: "-")) { return bytes.contains(where: isAlpha) }
        return isAlphanumeric(bytes.first!) && isAlphanumeric(bytes.last!)
    }

    static func isAlpha(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isAlpha(byte) || (0x30...0x39).contains(byte) }

    /// The expanded text (§7.3); for a domain name, see `expandDomain`.
    public func expand(_ values: SPFMacroValues) -> String {
        var text = ""
        for part in parts {
            switch part {
            case .literal(let literal): text += literal
            case .macro(let macro): text += macro.expand(values)
            }
        }
        return text
    }

    /// §7.3: a name longer than 253 characters loses labels from the left until it fits.
    public func expandDomain(_ values: SPFMacroValues) -> String {
        var name = Substring(expand(values))
        if name.hasSuffix(".") { name = name.dropLast() }
        while name.utf8.count > 253, let dot = name.firstIndex(of: ".") {
            name = name[name.index(after: dot)...]
        }
        return String(name)
    }
}

/// "%{" macro-letter transformers *delimiter "}"
struct SPFMacro: Sendable, Equatable {
    /// Lower-cased; `urlEscaped` remembers an upper-case letter.
    var letter: Character
    var urlEscaped: Bool
    /// The right-hand parts to keep, nil for all.
    var keep: Int?
    var reversed: Bool
    var delimiters: [Character]

    init(parsing body: String, context: SPFMacroString.Context) throws(SPFSyntaxError) {
        guard let first = body.first, first.isASCII, first.isLetter else { throw SPFSyntaxError("empty macro %{\(body)}") }
        letter = Character(first.lowercased())
        urlEscaped = first.isUppercase
        let allowed: Set<Character> = context == .domainSpec ? ["s", "l", "o", "d", "i", "p", "h", "v"]
            : ["s", "l", "o", "d", "i", "p", "h", "v", "c", "r", "t"]
        guard allowed.contains(letter) else { throw SPFSyntaxError("macro letter \(first) not allowed here") }
        var rest = body.dropFirst()
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(digits.count)
        if digits.isEmpty {
            keep = nil
        } else {
            // §7.3: "If a DIGIT is specified, the value MUST be nonzero."
            guard digits.count <= 3, let count = Int(digits), count > 0 else { throw SPFSyntaxError("bad digit transformer in %{\(body)}") }
            keep = count
        }
        reversed = rest.first == "r" || rest.first == "R"
        if reversed { rest = rest.dropFirst() }
        let delimiterSet: Set<Character> = [".", "-", "+", ",", "/", "_", "="]
        guard rest.allSatisfy({ delimiterSet.contains($0) }) else { throw SPFSyntaxError("bad delimiter in %{\(body)}") }
        delimiters = Array(rest)
    }

    func expand(_ values: SPFMacroValues) -> String {
        let value: String
        switch letter {
        case "s": value = values.sender
        case "l": value = values.localPart
        case "o": value = values.senderDomain
        case "d": value = values.domain
        case "i": value = values.client.macroForm
        case "p": value = values.validatedName ?? "unknown"
        case "h": value = values.helo
        case "v": value = values.client.isIPv4 ? "in-addr" : "ip6"
        case "c": value = values.client.text
        case "r": value = values.receiver.isEmpty ? "unknown" : values.receiver
        case "t": value = String(values.timestamp)
        default: value = ""
        }
        var result = value
        // §7.3: split on the delimiters ("." by default), optionally reverse, keep the right-hand
        // parts, and join with "." whatever the delimiters were.
        if keep != nil || reversed || !delimiters.isEmpty {
            let splitters = delimiters.isEmpty ? ["."] : delimiters
            var pieces = value.split(omittingEmptySubsequences: false) { splitters.contains($0) }.map(String.init)
            if reversed { pieces.reverse() }
            if let keep, keep < pieces.count { pieces = Array(pieces.suffix(keep)) }
            result = pieces.joined(separator: ".")
        }
        return urlEscaped ? Self.urlEscape(result) : result
    }

    /// §7.3: upper-case macros are URL-escaped (RFC 3986 unreserved characters stay).
    static func urlEscape(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            if SPFMacroString.isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~") {
                escaped.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                escaped += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return escaped
    }
}

/// What the macro letters stand for during one check_host() (RFC 7208 §7.2).
public struct SPFMacroValues: Sendable {
    public var sender: String
    public var localPart: String
    public var senderDomain: String
    /// <domain>: the domain whose record is being evaluated (changes in include and redirect).
    public var domain: String
    public var client: SPFAddress
    public var helo: String
    public var receiver: String
    public var timestamp: Int
    /// %{p}, filled in by the evaluator when a macro asks for it.
    public var validatedName: String?

    public init(sender: String, domain: String, client: SPFAddress, helo: String, receiver: String, timestamp: Int,
                validatedName: String? = nil) {
        // §4.3: a sender without a local part is "postmaster" at the domain.
        let at = sender.lastIndex(of: "@")
        let local = at.map { String(sender[..<$0]) } ?? ""
        self.sender = sender
        self.localPart = local.isEmpty ? "postmaster" : local
        self.senderDomain = at.map { String(sender[sender.index(after: $0)...]) } ?? sender
        self.domain = domain
        self.client = client
        self.helo = helo
        self.receiver = receiver
        self.timestamp = timestamp
        self.validatedName = validatedName
    }
}

public struct SPFSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
