/// Which certificate answers a TLS ClientHello's server name (SNI, RFC 6066 §3): an exact
/// DNS name first, then a wildcard covering exactly one leftmost label (RFC 6125 §6.4.3:
/// "*.example.org" covers "mail.example.org", not "example.org" or "a.b.example.org").
/// The first value added for a name wins.
struct ServerNameIndex<Value: Sendable>: Sendable {
    private var exact: [String: Value] = [:]
    /// "*.example.org" is stored under "example.org".
    private var wildcard: [String: Value] = [:]

    var isEmpty: Bool { exact.isEmpty && wildcard.isEmpty }

    /// Adds `value` under each name; returns the names already taken (ignored here).
    @discardableResult
    mutating func add(_ value: Value, names: [String]) -> [String] {
        var taken: [String] = []
        for name in names.map(Self.normalised) {
            if name.hasPrefix("*.") {
                let parent = String(name.dropFirst(2))
                if wildcard[parent] == nil { wildcard[parent] = value } else { taken.append(name) }
            } else if exact[name] == nil {
                exact[name] = value
            } else {
                taken.append(name)
            }
        }
        return taken
    }

    func lookup(_ serverName: String?) -> Value? {
        guard let serverName, !serverName.isEmpty else { return nil }
        let name = Self.normalised(serverName)
        if let value = exact[name] { return value }
        guard let dot = name.firstIndex(of: ".") else { return nil }
        let parent = name[name.index(after: dot)...]
        // A wildcard needs at least two labels under it (no "*.org").
        guard name[..<dot] != "", parent.contains(".") else { return nil }
        return wildcard[String(parent)]
    }

    /// Lower case, without a trailing dot: DNS names compare case-insensitively (RFC 4343).
    static func normalised(_ name: String) -> String {
        var lowered = name.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        return lowered
    }
}
