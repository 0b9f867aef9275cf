import NIOCore
import ProtocolSupport

/// Where to connect: "host:port", "192.0.2.1:25" or "[2001:db8::1]:995".
public struct ProbeTarget: Sendable, Equatable, CustomStringConvertible {
    /// A host name or an IP address, without brackets.
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses HOST:PORT or [IPv6]:PORT; nil when `text` is not of that form. A bare IPv6
    /// address with a port ("::1:25") is ambiguous and refused: bracket it.
    public init?(parsing text: String) {
        guard let (host, port) = HostPort.split(text) else { return nil }
        if text.hasPrefix("[") {
            guard host.contains(":"), (try? SocketAddress(ipAddress: String(host), port: 0)) != nil else { return nil }
        }
        guard !host.isEmpty, host.utf8.count <= 253,
              host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "/" && $0 != "@" }),
              !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber),
              let number = Int(port), (1...65_535).contains(number)
        else { return nil }
        self.host = String(host)
        self.port = number
    }

    /// True for an IPv4 or IPv6 literal, which never goes into SNI (RFC 6066 §3).
    public var isIPAddress: Bool { (try? SocketAddress(ipAddress: host, port: 0)) != nil }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
