/// A configured next hop: `"[192.0.2.10]:25"` (an address literal, no MX or A lookup),
/// `"smtp.isp.example:587"` or `"smtp.isp.example"` (a host: A/AAAA, never MX, as Postfix's
/// `[host]` form; RFC 5321 §5.1 applies MX only to the destination domain).
public struct NextHop: Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum Target: Sendable, Equatable, Hashable {
        /// A host name, looked up with A/AAAA.
        case host(String)
        /// An IPv4 or IPv6 address, dialled as it is.
        case address(String)
    }

    public var target: Target
    /// nil: `[delivery] smtp_port`.
    public var port: Int?

    public init(target: Target, port: Int? = nil) {
        self.target = target
        self.port = port
    }

    /// Parses the config forms above; nil when malformed (the config loader reports it).
    /// IPv6 literals only in brackets: "[2001:db8::1]:25".
    ///
    /// Also accepted, for people coming from Postfix or reading RFC 5321: a bare IPv4 address
    /// (an address: an A lookup of "192.0.2.10" could only fail), `[IPv6:2001:db8::1]` (the
    /// RFC 5321 §4.1.3 literal), and `[smtp.isp.example]:587` (Postfix's "no MX lookup" form,
    /// which is what a host hop means here anyway). Host names are lowercased, a trailing dot
    /// dropped, so they compare as DNS does (RFC 4343 §2).
    public init?(parsing text: String) {
        guard !text.isEmpty, !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) else {
            return nil
        }
        let hostText: Substring
        let portText: Substring?
        let bracketed = text.hasPrefix("[")
        if bracketed {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            hostText = text[..<colon]
            // "2001:db8::1:25" cannot be split unambiguously: IPv6 needs brackets.
            guard !hostText.contains(":") else { return nil }
            portText = text[text.index(after: colon)...]
        } else {
            hostText = text[...]
            portText = nil
        }
        var port: Int?
        if let portText {
            guard let number = Self.port(portText) else { return nil }
            port = number
        }
        if bracketed {
            var literal = hostText
            if literal.lowercased().hasPrefix("ipv6:") { literal = literal.dropFirst(5) }
            if let address = IPAddressText.canonical(literal) {
                // "[IPv6:192.0.2.1]" is no IPv6 address; "[IPv6:...]" must be one.
                guard literal.count == hostText.count || address.contains(":") else { return nil }
                self.init(target: .address(address), port: port)
            } else if literal.count == hostText.count, let name = Self.hostName(hostText) {
                self.init(target: .host(name), port: port)
            } else {
                return nil
            }
        } else if let address = IPAddressText.canonical(hostText), !address.contains(":") {
            self.init(target: .address(address), port: port)
        } else if let name = Self.hostName(hostText) {
            self.init(target: .host(name), port: port)
        } else {
            return nil
        }
    }

    /// 1 to 65535, decimal digits only ("+25", " 25", "0x19" are typos, not ports).
    static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(text), (1...65535).contains(value) else { return nil }
        return value
    }

    /// A host name as RFC 1123 §2.1 allows (letters, digits, hyphens; underscores too, as real
    /// zones have them), lowercased and without the trailing dot; nil when it is not one.
    static func hostName(_ text: Substring) -> String? {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" })
            else { return nil }
        }
        // RFC 3696 §2: a top-level label is never all digits, so "192.0.2.999" is a mistyped
        // address, not a name to look up.
        guard let last = labels.last, !last.allSatisfy({ $0.isNumber }) else { return nil }
        return name
    }

    public var description: String {
        let host: String = switch target {
        case .host(let name): name
        case .address(let address): "[\(address)]"
        }
        return port.map { "\(host):\($0)" } ?? host
    }
}

/// One host to try, with its addresses in the order to dial them (already filtered by
/// `ip_family`). `name` is what TLS sends as SNI and verifies the certificate against (for an
/// address literal, the address: no SNI then, RFC 6066 §3).
public struct DeliveryHost: Sendable, Equatable {
    public var name: String
    public var addresses: [String]
    public var port: Int
    /// The MX preference it came from (nil for implicit MX, routes and smarthosts): for logs.
    public var preference: Int?

    public init(name: String, addresses: [String], port: Int, preference: Int? = nil) {
        self.name = name
        self.addresses = addresses
        self.port = port
        self.preference = preference
    }
}
