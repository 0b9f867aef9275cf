import NIOCore
import ProtocolSupport

/// One recursive resolver to ask: an IP literal (a resolver cannot be found by name) and a port.
public struct DNSNameserver: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let address: SocketAddress

    public init(host: String, port: Int = 53) throws(DNSConfigurationError) {
        guard (1...65535).contains(port) else { throw .invalidNameserver("\(host):\(port)") }
        guard let address = try? SocketAddress(ipAddress: host, port: port) else {
            throw .invalidNameserver(host)
        }
        self.host = host
        self.port = port
        self.address = address
    }

    /// "HOST:PORT", "[IPv6]:PORT", or a bare address (port 53), as the `[dns] nameservers`
    /// setting writes them.
    public init(parsing text: String) throws(DNSConfigurationError) {
        if let (host, port) = HostPort.split(text) {
            guard let number = Int(port) else { throw .invalidNameserver(text) }
            try self.init(host: String(host), port: number)
        } else {
            try self.init(host: text, port: 53)
        }
    }

    /// 127.0.0.0/8 and ::1: a resolver on this machine, reached without crossing a network an
    /// attacker could be on (RFC 6840 §5.7's "secure channel").
    public var isLoopback: Bool {
        switch address {
        case .v4:
            return host.split(separator: ".").first == "127"
        case .v6:
            return address.ipAddress == "::1"
        default:
            return false
        }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public enum DNSConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidNameserver(String)
    case tooManyNameservers

    public var description: String {
        switch self {
        case .invalidNameserver(let text): "not a nameserver address (IP:PORT): \(text)"
        case .tooManyNameservers: "at most \(DNSResolverConfiguration.maximumNameservers) nameservers"
        }
    }
}

/// Which resolvers to ask, how long to wait and how often to try, and whether their AD bit counts.
public struct DNSResolverConfiguration: Hashable, Sendable {
    /// glibc's MAXNS: resolv.conf lines past the third are ignored.
    public static let maximumNameservers = 3
    /// resolv.conf(5) caps timeout at 30 s and attempts at 5; so do we.
    public static let timeoutRange: ClosedRange<Int64> = 100...30_000  // milliseconds
    public static let attemptsRange = 1...5

    public var nameservers: [DNSNameserver]
    /// How long to wait for each server's answer.
    public var timeout: TimeAmount
    /// Rounds over all servers.
    public var attempts: Int
    /// `options trust-ad` (resolv.conf(5)): believe AD even from a server that is not local.
    public var trustAD: Bool

    public init(nameservers: [DNSNameserver], timeout: TimeAmount = .seconds(2), attempts: Int = 2, trustAD: Bool = false) {
        self.nameservers = Array(nameservers.prefix(Self.maximumNameservers))
        let milliseconds = min(max(timeout.nanoseconds / 1_000_000, Self.timeoutRange.lowerBound), Self.timeoutRange.upperBound)
        self.timeout = .milliseconds(milliseconds)
        self.attempts = min(max(attempts, Self.attemptsRange.lowerBound), Self.attemptsRange.upperBound)
        self.trustAD = trustAD
    }

    /// The `[dns] nameservers` setting: "HOST:PORT" strings.
    public init(nameservers texts: [String], timeout: TimeAmount = .seconds(2), attempts: Int = 2) throws(DNSConfigurationError) {
        guard texts.count <= Self.maximumNameservers else { throw .tooManyNameservers }
        var servers: [DNSNameserver] = []
        for text in texts { servers.append(try DNSNameserver(parsing: text)) }
        self.init(nameservers: servers, timeout: timeout, attempts: attempts)
    }

    /// mox's rule after RFC 6840 §5.7: the AD bit is believed only when every resolver is on
    /// loopback, or the administrator said the path is secure with `options trust-ad`.
    public var trustsAuthenticData: Bool {
        trustAD || (!nameservers.isEmpty && nameservers.allSatisfy(\.isLoopback))
    }

    /// Reads resolv.conf(5) text: `nameserver` lines (IPv4 or IPv6, port 53; scoped IPv6 and
    /// anything unparsable skipped, as glibc skips them), `options timeout:N attempts:N
    /// trust-ad`. Without a usable nameserver line, 127.0.0.1 as glibc does.
    public static func parse(resolvConf text: String) -> DNSResolverConfiguration {
        var servers: [DNSNameserver] = []
        var timeoutSeconds: Int64 = 2  // brief default; resolv.conf's own default is 5 s
        var attempts = 2
        var trustAD = false
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
            switch keyword {
            case "nameserver":
                if words.count >= 2, let server = try? DNSNameserver(host: String(words[1])) {
                    servers.append(server)
                }
            case "options":
                for option in words.dropFirst() {
                    if option == "trust-ad" {
                        trustAD = true
                    } else if option.hasPrefix("timeout:"), let value = Int64(option.dropFirst(8).prefix(6)) {
                        timeoutSeconds = value
                    } else if option.hasPrefix("attempts:"), let value = Int(option.dropFirst(9).prefix(6)) {
                        attempts = value
                    }
                }
            default:
                continue
            }
        }
        if servers.isEmpty, let local = try? DNSNameserver(host: "127.0.0.1") { servers = [local] }
        return DNSResolverConfiguration(nameservers: servers, timeout: .seconds(timeoutSeconds), attempts: attempts, trustAD: trustAD)
    }
}
