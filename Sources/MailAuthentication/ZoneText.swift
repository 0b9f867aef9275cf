// CONTRACT (helper CLI/SRS fills in; public signatures stay).

/// Zone-file lines for `tsubame dns records` and `dkim keygen`: `NAME. TTL IN TYPE DATA`,
/// TXT data as quoted strings of at most 255 octets each (RFC 1035 §3.3.14).
public enum ZoneText {
    /// Splits TXT data into character-strings of at most `maximum` octets.
    public static func txtStrings(_ text: String, maximum: Int = 255) -> [String] { fatalError("contract") }

    /// `name. ttl IN TXT "…" "…"` (the name gets its final dot; quotes and backslashes escaped).
    public static func txtLine(name: String, ttl: Int, text: String) -> String { fatalError("contract") }

    /// `name. ttl IN TYPE data`
    public static func line(name: String, ttl: Int, type: String, data: String) -> String { fatalError("contract") }
}
