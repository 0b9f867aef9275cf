/// "HOST:PORT" and "[IPv6]:PORT" split into their parts, for listener addresses and
/// `cert show` targets alike. An unbracketed IPv6 address ("::1:25") is ambiguous and refused.
public enum HostPort {
    /// The host (without brackets) and the port text, or nil when `text` is not of that form.
    /// Callers validate both parts by their own rules.
    public static func split(_ text: String) -> (host: Substring, port: Substring)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            return (host, rest.dropFirst())
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = text[..<colon]
        if host.contains(":") { return nil }  // IPv6 needs brackets
        return (host, text[text.index(after: colon)...])
    }
}
