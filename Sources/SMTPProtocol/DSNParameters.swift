/// The values of the DSN extension's MAIL and RCPT parameters (RFC 3461 §4), as the server
/// receives them. Each parser returns nil for a malformed value; the session answers
/// `501 5.5.4` naming the parameter. ENVID and ORCPT stay in xtext as received: that is how
/// they are relayed (RFC 3461 §5.2.1) and the queue keeps them; DSNs decode them.
public enum DSNLimits {
    /// RFC 3461 §4.4: an ENVID is at most 100 characters.
    public static let envelopeIDLength = 100
    /// RFC 3461 §4.2: an ORCPT is at most 500 characters.
    public static let originalRecipientLength = 500
}

extension DSNReturn {
    /// ret-value = "FULL" / "HDRS" (RFC 3461 §4.3), case-insensitive like every ESMTP value
    /// keyword (RFC 5321 §2.4).
    public init?(parameterValue: String) {
        self.init(rawValue: parameterValue.asciiUppercased)
    }
}

extension DSNNotify {
    /// notify-esmtp-value = "NEVER" / 1#notify-list-element;
    /// notify-list-element = "SUCCESS" / "FAILURE" / "DELAY" (RFC 3461 §4.1): NEVER stands
    /// alone, the others at most once each, in any order, case-insensitive.
    public init?(parameterValue: String) {
        let elements = parameterValue.asciiUppercased.split(separator: ",", omittingEmptySubsequences: false)
        if elements == ["NEVER"] {
            self = .never
            return
        }
        var set: DSNNotify = []
        for element in elements {
            let flag: DSNNotify
            switch element {
            case "SUCCESS": flag = .success
            case "FAILURE": flag = .failure
            case "DELAY": flag = .delay
            default: return nil  // "", "NEVER" in a list, anything else
            }
            guard !set.contains(flag) else { return nil }
            set.insert(flag)
        }
        self = set
    }

    /// The canonical text: "NEVER", or the set in the order SUCCESS, FAILURE, DELAY. The queue
    /// stores this form.
    public var parameterValue: String {
        guard !isEmpty else { return "NEVER" }
        return [(DSNNotify.success, "SUCCESS"), (.failure, "FAILURE"), (.delay, "DELAY")]
            .filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}

/// ENVID (RFC 3461 §4.4): envid-parameter = "ENVID=" xtext.
public enum DSNEnvelopeID {
    /// Valid xtext whose decoded text fits `DSNLimits.envelopeIDLength` and is printable.
    public static func isValid(_ xtext: String) -> Bool {
        guard let decoded = XText.decode(xtext) else { return false }
        return decoded.count <= DSNLimits.envelopeIDLength && isPrintable(decoded)
    }
}

/// ORCPT (RFC 3461 §4.2): original-recipient-address = addr-type ";" xtext.
public struct DSNOriginalRecipient: Sendable, Hashable {
    /// An atom (RFC 5322 §3.2.3) as the client sent it: "rfc822", or "utf-8" (RFC 6533 §3,
    /// whose utf-8-addr-xtext is a subset of xtext). Any atom is kept: the type only tells a
    /// DSN how to present the address.
    public var addressType: String
    /// The address in xtext, as received.
    public var xtext: String

    public init(addressType: String, xtext: String) {
        self.addressType = addressType
        self.xtext = xtext
    }

    /// Parses "addr-type;xtext". Refused: no ";", an empty or non-atom type, invalid or empty
    /// xtext, a decoded address over `DSNLimits.originalRecipientLength` or with control characters.
    public init?(parameterValue: String) {
        guard let semicolon = parameterValue.utf8.firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let type = String(parameterValue[..<semicolon])
        let xtext = String(parameterValue[parameterValue.index(after: semicolon)...])
        guard !type.isEmpty, type.utf8.allSatisfy(Self.isAtomText),
              let decoded = XText.decode(xtext), !decoded.isEmpty,
              decoded.count <= DSNLimits.originalRecipientLength, isPrintable(decoded) else { return nil }
        self.init(addressType: type, xtext: xtext)
    }

    /// "addr-type;xtext", as received and as relayed.
    public var parameterValue: String { "\(addressType);\(xtext)" }

    /// atext (RFC 5322 §3.2.3): letters, digits and !#$%&'*+-/=?^_`{|}~.
    private static func isAtomText(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
        }
    }
}

/// RCPT's DSN parameters as received (RFC 3461 §4.1, §4.2); nil where the client gave none.
public struct DSNRecipientParameters: Sendable, Hashable {
    public var notify: DSNNotify?
    public var originalRecipient: DSNOriginalRecipient?

    public init(notify: DSNNotify? = nil, originalRecipient: DSNOriginalRecipient? = nil) {
        self.notify = notify
        self.originalRecipient = originalRecipient
    }
}

/// RFC 3461 §4.2, §4.4: ENVID and ORCPT "MUST consist entirely of printable (graphic and white
/// space) characters" once decoded. Control characters are refused (a DSN writes these values
/// into header fields, where CR or LF would inject lines); octets above 127 are let through,
/// as some SMTPUTF8 clients xtext-encode UTF-8 addresses, and a DSN can still show them.
private func isPrintable(_ octets: [UInt8]) -> Bool {
    octets.allSatisfy { $0 >= 32 && $0 != 127 || $0 == 9 }
}

extension String {
    /// ASCII-only upper-casing: Unicode case mapping would turn "ſ" (U+017F) into "S".
    var asciiUppercased: String {
        String(decoding: utf8.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }
}
