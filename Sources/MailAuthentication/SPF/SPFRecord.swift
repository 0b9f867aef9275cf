/// One SPF record's terms (RFC 7208 §4.6.1, §5, §6), parsed as a whole before evaluation:
/// a syntax error anywhere in the record is a permerror even when an earlier mechanism
/// would have matched (§4.6).
///
///     record = version terms *SP
///     version = "v=spf1"
///     terms = *( 1*SP ( directive / modifier ) )
public struct SPFRecord: Sendable, Equatable {
    public var directives: [SPFDirective]
    public var redirect: SPFMacroString?
    public var explanation: SPFMacroString?

    /// §4.5: a record starts with "v=spf1" followed by a space or nothing (case-insensitive,
    /// as ABNF strings are); "v=spf10" is not one.
    public static func isSPFRecord(_ text: String) -> Bool {
        let lower = text.prefix(7).lowercased()
        return lower == "v=spf1" || lower == "v=spf1 "
    }

    public init(parsing text: String) throws(SPFSyntaxError) {
        guard Self.isSPFRecord(text) else { throw SPFSyntaxError("not an SPF record") }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII }) else { throw SPFSyntaxError("non-ASCII characters in the record") }
        directives = []
        var sawRedirect = false, sawExplanation = false
        for term in text.dropFirst(6).split(separator: " ") {
            if let equals = Self.modifierNameEnd(term) {
                let name = term[..<equals].lowercased()
                let value = String(term[term.index(after: equals)...])
                switch name {
                case "redirect", "exp":
                    // §6: each of these at most once.
                    if name == "redirect" ? sawRedirect : sawExplanation { throw SPFSyntaxError("\(name)= appears twice") }
                    let spec = try Self.domainSpec(value, term: term)
                    if name == "redirect" { redirect = spec; sawRedirect = true } else { explanation = spec; sawExplanation = true }
                default:
                    // §6: unknown modifiers are ignored, but must still be macro-strings (§4.6.1).
                    _ = try SPFMacroString(parsing: value, context: .modifier)
                }
            } else {
                directives.append(try SPFDirective(parsing: term))
            }
        }
    }

    /// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), then "=": a modifier.
    private static func modifierNameEnd(_ term: Substring) -> Substring.Index? {
        guard let first = term.first, first.isASCII, first.isLetter else { return nil }
        for index in term.indices.dropFirst() {
            let character = term[index]
            if character == "=" { return index }
            guard character.isASCII, character.isLetter || character.isNumber || "-_.".contains(character) else { return nil }
        }
        return nil
    }

    static func domainSpec(_ text: String, term: Substring) throws(SPFSyntaxError) -> SPFMacroString {
        guard !text.isEmpty else { throw SPFSyntaxError("empty domain in \"\(term)\"") }
        let spec = try SPFMacroString(parsing: text, context: .domainSpec)
        guard spec.hasValidDomainEnd else { throw SPFSyntaxError("\"\(text)\" is not a domain name (use a FQDN)") }
        return spec
    }
}

/// directive = [ qualifier ] mechanism (§4.6.2)
public struct SPFDirective: Sendable, Equatable {
    public var qualifier: SPFResult
    public var mechanism: SPFMechanism
    /// The term as written, for the outcome's reason.
    public var text: String

    init(parsing term: Substring) throws(SPFSyntaxError) {
        text = String(term)
        var rest = term
        switch rest.first {
        case "+": qualifier = .pass; rest = rest.dropFirst()
        case "-": qualifier = .fail; rest = rest.dropFirst()
        case "~": qualifier = .softfail; rest = rest.dropFirst()
        case "?": qualifier = .neutral; rest = rest.dropFirst()
        default: qualifier = .pass
        }
        let nameEnd = rest.firstIndex { $0 == ":" || $0 == "/" } ?? rest.endIndex
        let name = rest[..<nameEnd].lowercased()
        let argument = rest[nameEnd...]
        // The value after ":" (nil when absent); "a:" with nothing after is a syntax error.
        func value() throws(SPFSyntaxError) -> Substring? {
            guard argument.first == ":" else { return nil }
            let value = argument.dropFirst()
            guard !value.isEmpty else { throw SPFSyntaxError("empty argument in \"\(term)\"") }
            return value
        }
        switch name {
        case "all":
            guard argument.isEmpty else { throw SPFSyntaxError("\"all\" takes no argument: \"\(term)\"") }
            mechanism = .all
        case "include", "exists":
            guard let target = try value() else { throw SPFSyntaxError("\(name) needs a domain: \"\(term)\"") }
            let spec = try SPFRecord.domainSpec(String(target), term: term)
            mechanism = name == "include" ? .include(spec) : .exists(spec)
        case "ptr":
            guard argument.isEmpty || argument.first == ":" else { throw SPFSyntaxError("bad ptr argument: \"\(term)\"") }
            if let target = try value() {
                mechanism = .ptr(try SPFRecord.domainSpec(String(target), term: term))
            } else {
                mechanism = .ptr(nil)
            }
        case "a", "mx":
            // a / mx [ ":" domain-spec ] [ dual-cidr-length ]: the CIDR lengths are cut from
            // the end, since "/" is also a macro-literal character.
            let (body, cidr) = try Self.splitDualCIDR(argument, term: term)
            var spec: SPFMacroString?
            if !body.isEmpty {
                guard body.first == ":", body.count > 1 else { throw SPFSyntaxError("bad \(name) argument: \"\(term)\"") }
                spec = try SPFRecord.domainSpec(String(body.dropFirst()), term: term)
            }
            mechanism = name == "a" ? .a(spec, cidr) : .mx(spec, cidr)
        case "ip4":
            guard let network = try value() else { throw SPFSyntaxError("ip4 needs a network: \"\(term)\"") }
            let (address, length) = try Self.splitPrefix(network, maximum: 32, term: term)
            guard let octets = SPFAddress.parseIPv4(address) else { throw SPFSyntaxError("bad IPv4 address in \"\(term)\"") }
            mechanism = .ip4(.v4(octets), prefix: length ?? 32)
        case "ip6":
            guard let network = try value() else { throw SPFSyntaxError("ip6 needs a network: \"\(term)\"") }
            let (address, length) = try Self.splitPrefix(network, maximum: 128, term: term)
            guard let octets = SPFAddress.parseIPv6(address) else { throw SPFSyntaxError("bad IPv6 address in \"\(term)\"") }
            mechanism = .ip6(.v6(octets), prefix: length ?? 128)
        default:
            throw SPFSyntaxError("unknown mechanism \"\(term)\"")
        }
    }

    /// ip4-cidr-length = "/" ( "0" / %x31-39 0*1DIGIT ); ip6 likewise up to 128.
    static func cidrLength(_ digits: Substring, maximum: Int) -> Int? {
        guard (1...3).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              digits == "0" || digits.first != "0", let value = Int(digits), value <= maximum else { return nil }
        return value
    }

    static func splitPrefix(_ network: Substring, maximum: Int, term: Substring) throws(SPFSyntaxError) -> (Substring, Int?) {
        guard let slash = network.lastIndex(of: "/") else { return (network, nil) }
        guard let length = cidrLength(network[network.index(after: slash)...], maximum: maximum) else {
            throw SPFSyntaxError("bad CIDR length in \"\(term)\"")
        }
        return (network[..<slash], length)
    }

    /// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ], from the end.
    static func splitDualCIDR(_ argument: Substring, term: Substring) throws(SPFSyntaxError) -> (Substring, SPFCIDR) {
        var body = argument
        var cidr = SPFCIDR()
        if let range = body.lastRange(of: "//") {
            let digits = body[range.upperBound...]
            guard let length = cidrLength(digits, maximum: 128) else { throw SPFSyntaxError("bad IPv6 CIDR length in \"\(term)\"") }
            cidr.v6 = length
            body = body[..<range.lowerBound]
        }
        if let slash = body.lastIndex(of: "/") {
            let digits = body[body.index(after: slash)...]
            // Digits only after the last "/" make a length; anything else is part of the domain
            // (and fails there if it is not a domain).
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                guard let length = cidrLength(digits, maximum: 32) else { throw SPFSyntaxError("bad IPv4 CIDR length in \"\(term)\"") }
                cidr.v4 = length
                body = body[..<slash]
            }
        }
        return (body, cidr)
    }
}

/// RFC 7208 §5.
public enum SPFMechanism: Sendable, Equatable {
    case all
    case include(SPFMacroString)
    case a(SPFMacroString?, SPFCIDR)
    case mx(SPFMacroString?, SPFCIDR)
    case ptr(SPFMacroString?)
    case ip4(SPFAddress, prefix: Int)
    case ip6(SPFAddress, prefix: Int)
    case exists(SPFMacroString)

    /// §4.6.4: the terms that query DNS count toward the limit of 10.
    var queriesDNS: Bool {
        switch self {
        case .include, .a, .mx, .ptr, .exists: true
        case .all, .ip4, .ip6: false
        }
    }
}

public struct SPFCIDR: Sendable, Equatable {
    public var v4: Int
    public var v6: Int
    public init(v4: Int = 32, v6: Int = 128) {
        self.v4 = v4
        self.v6 = v6
    }
}

extension Substring {
    /// The last occurrence of `pattern` (stdlib has only the first).
    func lastRange(of pattern: String) -> Range<Index>? {
        var found: Range<Index>?
        var rest = self[...]
        while let range = rest.firstRange(of: pattern) {
            found = range
            rest = rest[range.upperBound...]
        }
        return found
    }
}
