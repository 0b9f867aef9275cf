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
    public init?(parsing text: String) {
        fatalError("NextHop(parsing:) is built by the route helper")
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
