import ProtocolSupport

/// "HOST:PORT" or "[IPV6]:PORT" from a listener setting; port 0 asks for a free port.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        guard let (host, portText) = HostPort.split(text) else { return nil }
        // A bracket left in the host ("[[::1]:25") would be written back as an address that no
        // longer parses (found by FuzzConfig); no host name or IP address contains one.
        guard !host.isEmpty, !host.contains(" "), !host.contains("["), !host.contains("]"),
              let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The listeners Tsubame knows. smtp is the MX (mail for local domains from anyone, no relay);
/// submission and submissions run the SMTP server for users: AUTH before MAIL, then any
/// destination (RFC 6409, RFC 8314). imap and imaps serve the users' mailboxes (RFC 3501,
/// RFC 8314).
public enum ListenerName: String, CaseIterable, Sendable {
    case smtp, submission, submissions, pop3, pop3s, imap, imaps

    /// The standard port (RFC 5321, RFC 6409, RFC 8314, RFC 1939, RFC 3501).
    public var standardPort: Int {
        switch self {
        case .smtp: return 25
        case .submission: return 587
        case .submissions: return 465
        case .pop3: return 110
        case .pop3s: return 995
        case .imap: return 143
        case .imaps: return 993
        }
    }

    /// An unprivileged port for a first run as a normal user.
    public var unprivilegedPort: Int {
        switch self {
        case .smtp: return 2525
        case .submission: return 2587
        case .submissions: return 2465
        case .pop3: return 2110
        case .pop3s: return 2995
        case .imap: return 2143
        case .imaps: return 2993
        }
    }
}
