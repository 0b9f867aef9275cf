/// Character classes of RFC 3501 §9 (formal syntax).
enum IMAPCharacters {
    /// ATOM-CHAR = <any CHAR except atom-specials>
    /// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
    static func isAtomChar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21...0x7E:
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
                 UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"):
                return false
            default: return true
            }
        default: return false
        }
    }

    /// ASTRING-CHAR = ATOM-CHAR / resp-specials
    static func isAStringChar(_ byte: UInt8) -> Bool {
        isAtomChar(byte) || byte == UInt8(ascii: "]")
    }

    /// list-char = ATOM-CHAR / list-wildcards / resp-specials (RFC 3501 §9, LIST patterns)
    static func isListChar(_ byte: UInt8) -> Bool {
        isAStringChar(byte) || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "*")
    }

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    /// ASCII upper case only: Unicode case mapping would read "ſELECT" (U+017F) as SELECT.
    static func uppercased<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
    }
}
