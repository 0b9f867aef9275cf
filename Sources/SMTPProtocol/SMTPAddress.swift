/// A mailbox from an SMTP path (RFC 5321 §4.1.2). `localPart` is the semantic value:
/// a quoted local part is stored without its quotes and backslashes.
public struct SMTPMailbox: Hashable, Sendable, CustomStringConvertible {
    public var localPart: String
    /// A domain name, or an address literal including its brackets. Empty only for the
    /// special recipient `<Postmaster>` (RFC 5321 §4.1.1.3).
    public var domain: String

    public init(localPart: String, domain: String) {
        self.localPart = localPart
        self.domain = domain
    }

    /// True when local part and domain are ASCII; otherwise SMTPUTF8 is required (RFC 6531 §3.4).
    public var isASCII: Bool {
        localPart.utf8.allSatisfy { $0 < 0x80 } && domain.utf8.allSatisfy { $0 < 0x80 }
    }

    /// `<Postmaster>` without a domain, which every SMTP server must accept (RFC 5321 §4.5.1).
    public var isBarePostmaster: Bool { domain.isEmpty }

    /// The address as it goes on the wire and into headers, quoting the local part when it
    /// is not a dot-string (RFC 5321 §4.1.2).
    public var description: String {
        let local = SMTPMailbox.isDotString(localPart) ? localPart : SMTPMailbox.quoted(localPart)
        return domain.isEmpty ? local : "\(local)@\(domain)"
    }

    static func isDotString(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.first != UInt8(ascii: "."), bytes.last != UInt8(ascii: ".") else { return false }
        var previousWasDot = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if previousWasDot { return false }
                previousWasDot = true
            } else {
                guard SMTPCharacterClass.isAtext(byte) else { return false }
                previousWasDot = false
            }
        }
        return true
    }

    static func quoted(_ text: String) -> String {
        // Scalar by scalar: a quote followed by a combining mark is one Character that is not
        // equal to "\"", yet its first octet still ends the quoted string on the wire.
        var result = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { result.unicodeScalars.append("\\") }
            result.unicodeScalars.append(scalar)
        }
        return result + "\""
    }
}

/// MAIL FROM's reverse-path: a mailbox or the null sender `<>` used by bounces (RFC 5321 §4.5.5).
public enum SMTPReversePath: Hashable, Sendable, CustomStringConvertible {
    case null
    case mailbox(SMTPMailbox)

    public var description: String {
        switch self {
        case .null: return "<>"
        case .mailbox(let mailbox): return "<\(mailbox)>"
        }
    }

    public var isASCII: Bool {
        if case .mailbox(let mailbox) = self { return mailbox.isASCII }
        return true
    }
}

enum SMTPCharacterClass {
    /// atext (RFC 5322 §3.2.3), extended with UTF-8 octets for SMTPUTF8 (RFC 6531 §3.3);
    /// whether UTF-8 is allowed is decided by the session, not the grammar.
    static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
             UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return byte >= 0x80
        }
    }

    /// Let-dig / Ldh-str characters of a domain (RFC 5321 §4.1.2), plus UTF-8 for U-labels.
    static func isDomainCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            return true
        default:
            return byte >= 0x80
        }
    }
}

/// Parses a path and the parameters that follow it, over the bytes of one argument.
struct SMTPPathParser {
    enum Failure: Error, Equatable {
        case syntax(String)
    }

    private let bytes: [UInt8]
    private(set) var index: Int

    init(_ bytes: [UInt8], from index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var isAtEnd: Bool { index >= bytes.count }
    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpaces() {
        while current == UInt8(ascii: " ") { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        guard current == byte else { throw .syntax("expected \(what)") }
        index += 1
    }

    /// Reverse-path = Path / "<>"
    mutating func parseReversePath() throws(Failure) -> SMTPReversePath {
        if bytes[index...].starts(with: [UInt8(ascii: "<"), UInt8(ascii: ">")]) {
            index += 2
            return .null
        }
        return .mailbox(try parsePath(allowBarePostmaster: false))
    }

    /// Forward-path = Path, or the special "<Postmaster>" (RFC 5321 §4.1.1.3).
    mutating func parseForwardPath() throws(Failure) -> SMTPMailbox {
        try parsePath(allowBarePostmaster: true)
    }

    /// Path = "<" [ A-d-l ":" ] Mailbox ">"; the source route (A-d-l) is parsed and ignored
    /// as RFC 5321 §4.1.1.3 and Appendix C require.
    private mutating func parsePath(allowBarePostmaster: Bool) throws(Failure) -> SMTPMailbox {
        try expect(UInt8(ascii: "<"), "\"<\" to start the address")
        if current == UInt8(ascii: "@") {
            try skipSourceRoute()
        }
        let localPart = try parseLocalPart()
        if allowBarePostmaster, current == UInt8(ascii: ">"), localPart.lowercased() == "postmaster" {
            index += 1
            return SMTPMailbox(localPart: localPart, domain: "")
        }
        try expect(UInt8(ascii: "@"), "\"@\" after the local part")
        let domain: String
        if current == UInt8(ascii: "[") {
            domain = try parseAddressLiteral()
        } else {
            domain = try parseDomain()
        }
        try expect(UInt8(ascii: ">"), "\">\" to end the address")
        return SMTPMailbox(localPart: localPart, domain: domain)
    }

    /// A-d-l = At-domain *( "," At-domain ) ":"
    private mutating func skipSourceRoute() throws(Failure) {
        repeat {
            try expect(UInt8(ascii: "@"), "\"@\" in the source route")
            if current == UInt8(ascii: "[") { _ = try parseAddressLiteral() } else { _ = try parseDomain() }
            guard current == UInt8(ascii: ",") else { break }
            index += 1
        } while true
        try expect(UInt8(ascii: ":"), "\":\" after the source route")
    }

    /// Local-part = Dot-string / Quoted-string
    private mutating func parseLocalPart() throws(Failure) -> String {
        if current == UInt8(ascii: "\"") { return try parseQuotedString() }
        let start = index
        var previousWasDot = true  // a dot may not come first
        while let byte = current {
            if byte == UInt8(ascii: ".") {
                if previousWasDot { throw .syntax("empty atom in the local part") }
                previousWasDot = true
            } else if SMTPCharacterClass.isAtext(byte) {
                previousWasDot = false
            } else {
                break
            }
            index += 1
        }
        guard index > start else { throw .syntax("empty local part") }
        guard !previousWasDot else { throw .syntax("local part ends with a dot") }
        return try utf8String(bytes[start..<index])
    }

    /// Quoted-string = DQUOTE *QcontentSMTP DQUOTE; quoted-pairSMTP = "\" %d32-126
    private mutating func parseQuotedString() throws(Failure) -> String {
        index += 1
        var value: [UInt8] = []
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try utf8String(value[...])
            case UInt8(ascii: "\\"):
                guard let escaped = current, (32...126).contains(escaped) else {
                    throw .syntax("bad quoted pair in the local part")
                }
                value.append(escaped)
                index += 1
            case 32...126, 0x80...0xFF:
                value.append(byte)
            default:
                throw .syntax("control character in the local part")
            }
        }
        throw .syntax("unterminated quoted local part")
    }

    /// Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]
    mutating func parseDomain() throws(Failure) -> String {
        let start = index
        var labelStart = index
        while let byte = current {
            if byte == UInt8(ascii: ".") {
                try checkLabel(labelStart..<index)
                labelStart = index + 1
            } else if !SMTPCharacterClass.isDomainCharacter(byte) {
                break
            }
            index += 1
        }
        try checkLabel(labelStart..<index)
        guard index - start <= 255 else { throw .syntax("domain too long") }
        return try utf8String(bytes[start..<index])
    }

    private func checkLabel(_ range: Range<Int>) throws(Failure) {
        guard !range.isEmpty else { throw .syntax("empty label in the domain") }
        guard bytes[range.lowerBound] != UInt8(ascii: "-"), bytes[range.upperBound - 1] != UInt8(ascii: "-") else {
            throw .syntax("domain label starts or ends with a hyphen")
        }
    }

    /// address-literal = "[" ( IPv4 / "IPv6:" IPv6 / General ) "]"; dcontent = %d33-90 / %d94-126
    private mutating func parseAddressLiteral() throws(Failure) -> String {
        let start = index
        index += 1
        while let byte = current, byte != UInt8(ascii: "]") {
            guard (33...90).contains(byte) || (94...126).contains(byte) else {
                throw .syntax("bad character in the address literal")
            }
            index += 1
        }
        guard index - start > 1 else { throw .syntax("empty address literal") }
        try expect(UInt8(ascii: "]"), "\"]\" to end the address literal")
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Mail-parameters = esmtp-param *(SP esmtp-param); esmtp-param = esmtp-keyword ["=" esmtp-value]
    mutating func parseParameters() throws(Failure) -> [SMTPParameter] {
        var parameters: [SMTPParameter] = []
        while true {
            skipSpaces()
            guard !isAtEnd else { return parameters }
            let start = index
            while let byte = current, byte != UInt8(ascii: " "), byte != UInt8(ascii: "=") { index += 1 }
            let keyword = String(decoding: bytes[start..<index], as: UTF8.self)
            guard !keyword.isEmpty,
                  keyword.utf8.allSatisfy({ $0 < 0x80 && ($0 == UInt8(ascii: "-") || isAlphanumeric($0)) }) else {
                throw .syntax("bad parameter keyword")
            }
            var value: String?
            if current == UInt8(ascii: "=") {
                index += 1
                let valueStart = index
                while let byte = current, byte != UInt8(ascii: " ") {
                    // esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed with SMTPUTF8
                    guard byte != UInt8(ascii: "="), byte > 32 else { throw .syntax("bad parameter value") }
                    index += 1
                }
                guard index > valueStart else { throw .syntax("empty parameter value") }
                value = try utf8String(bytes[valueStart..<index])
            }
            parameters.append(SMTPParameter(keyword: keyword.uppercased(), value: value))
        }
    }

    private func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private func utf8String(_ slice: ArraySlice<UInt8>) throws(Failure) -> String {
        guard let string = String(validating: slice, as: UTF8.self) else { throw .syntax("invalid UTF-8") }
        return string
    }
}

/// One ESMTP parameter of MAIL or RCPT, keyword uppercased.
public struct SMTPParameter: Hashable, Sendable {
    public var keyword: String
    public var value: String?

    public init(keyword: String, value: String?) {
        self.keyword = keyword
        self.value = value
    }
}
