/// Zone-file lines for `tsubame dns records` and `dkim keygen`: `NAME. TTL IN TYPE DATA`,
/// TXT data as quoted strings of at most 255 octets each (RFC 1035 §3.3.14).
public enum ZoneText {
    /// Splits TXT data into character-strings of at most `maximum` octets (RFC 1035 §3.3:
    /// a length octet, so 255 at most), never inside a UTF-8 sequence. Empty text is one
    /// empty string: a TXT record holds at least one.
    public static func txtStrings(_ text: String, maximum: Int = 255) -> [String] {
        precondition(maximum >= 4, "a string must hold any one UTF-8 sequence")
        var strings: [String] = []
        var current = ""
        var count = 0
        for scalar in text.unicodeScalars {
            let length = String(scalar).utf8.count
            if count + length > maximum {
                strings.append(current)
                current = ""
                count = 0
            }
            current.unicodeScalars.append(scalar)
            count += length
        }
        strings.append(current)
        return strings
    }

    /// `name. ttl IN TXT "…" "…"` (the name gets its final dot; quotes and backslashes escaped).
    public static func txtLine(name: String, ttl: Int, text: String) -> String {
        txtLine(name: name, ttl: ttl, strings: txtStrings(text))
    }

    /// `name. ttl IN TXT "a" "b"` with the character-strings as given (each at most 255
    /// octets: a DKIM record reads better split after its tags, before `p=`).
    public static func txtLine(name: String, ttl: Int, strings: [String]) -> String {
        line(name: name, ttl: ttl, type: "TXT", data: strings.map(quoted).joined(separator: " "))
    }

    /// `name. ttl IN TYPE data`
    public static func line(name: String, ttl: Int, type: String, data: String) -> String {
        "\(absolute(name)) \(ttl) IN \(type) \(data)"
    }

    /// The name with its final dot, so a zone's $ORIGIN is never appended to it.
    public static func absolute(_ name: String) -> String {
        name.hasSuffix(".") ? name : name + "."
    }

    /// A <character-string> in master-file form (RFC 1035 §5.1): in quotes, `"` and `\`
    /// escaped with a backslash, control octets as \DDD.
    static func quoted(_ string: String) -> String {
        var text = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"", "\\":
                text += "\\"
                text.unicodeScalars.append(scalar)
            case "\u{00}"..."\u{1F}", "\u{7F}":
                let digits = String(scalar.value)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}
