/// Connection limits of one listener, from `[limits.NAME]` (e.g. `[limits.submission]`).
/// Each listener counts its own connections, so a flood on port 25 leaves 587, 465, 110 and
/// 995 usable; a key left out takes its protocol's value (`[smtp]` for smtp, submission and
/// submissions, `[pop3]` for pop3 and pop3s, `[imap]` for imap and imaps).
public struct ListenerLimits: Sendable, Equatable {
    public var maxConnections: Int?
    public var maxConnectionsPerIP: Int?

    public init(maxConnections: Int? = nil, maxConnectionsPerIP: Int? = nil) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
    }
}

extension ListenerName {
    /// The table whose limits this listener takes by default.
    public var protocolTable: String {
        switch self {
        case .smtp, .submission, .submissions: return "smtp"
        case .pop3, .pop3s: return "pop3"
        case .imap, .imaps: return "imap"
        }
    }
}

extension TsubameConfiguration {
    /// Concurrent connections `listener` accepts.
    public func maximumConnections(for listener: ListenerName) -> Int {
        listenerLimits[listener]?.maxConnections ?? protocolLimits(listener).total
    }

    /// Concurrent connections `listener` accepts from one client IP.
    public func maximumConnectionsPerIP(for listener: ListenerName) -> Int {
        listenerLimits[listener]?.maxConnectionsPerIP ?? protocolLimits(listener).perIP
    }

    private func protocolLimits(_ listener: ListenerName) -> (total: Int, perIP: Int) {
        switch listener {
        case .smtp, .submission, .submissions: return (smtp.maxConnections, smtp.maxConnectionsPerIP)
        case .pop3, .pop3s: return (pop3.maxConnections, pop3.maxConnectionsPerIP)
        case .imap, .imaps: return (imap.maxConnections, imap.maxConnectionsPerIP)
        }
    }
}
