import ProtocolSupport
import TOMLKit

/// `[delivery]`, `[delivery.tls]`, `[queue]`, `[dns]`: the scalar keys of outbound delivery,
/// in the same one-list form as the rest of `ConfigSchema`.
extension ConfigSchema {
    static let tlsPolicies = ["none", "may", "encrypt", "verify"]
    static let ipFamilies = ["any", "ipv4", "ipv6"]
    static let day = 86400

    static let outboundSettings: [Setting] = [
        .string("delivery", "helo_name",
                "The name sent in EHLO (RFC 5321 §4.1.1.1); it should resolve to this server's address. Empty: hostname.",
                \.delivery.heloName,
                validate: { $0.isEmpty || NextHopSyntax.isHostName($0) ? nil : "must be empty or an ASCII host name like mx.example.org" }),
        .integer("delivery", "smtp_port", 1...65535,
                 "The port MX hosts are dialled on: 25 (RFC 5321 §4.5.4); other values are for tests.", \.delivery.smtpPort),
        choice("delivery", "ip_family", ipFamilies,
               "Address families to send from: \"any\", \"ipv4\" or \"ipv6\" (Gmail refuses IPv6 senders without reverse DNS).",
               \.delivery.ipFamily),
        .string("delivery", "relay_host",
                "A smarthost that takes all remote mail (e.g. the ISP's, when port 25 is blocked: OP25B): \"host:port\" or \"[address]:port\"; empty: MX delivery. Port 465 is TLS from the first byte, others use STARTTLS; the certificate is always verified.",
                \.delivery.relayHost,
                validate: { $0.isEmpty || NextHopSyntax.parse($0) != nil ? nil : nextHopProblem }),
        .string("delivery", "relay_username", "The smarthost's AUTH user name; empty: no AUTH.", \.delivery.relayUsername,
                validate: { noControlCharacters($0) ? nil : "must not contain control characters" }),
        .string("delivery", "relay_password_file",
                "A file (mode 0600) holding the smarthost password on its first line; relative paths are inside the data folder.",
                \.delivery.relayPasswordFile,
                validate: { noControlCharacters($0) ? nil : "must not contain control characters" }),
        .boolean("delivery", "suspended",
                 "Keep every queued message without trying to send it (maintenance, a DNS move; as Postfix's defer_transports). Reports, expiry and retries wait too.",
                 \.delivery.suspended),
        .integer("delivery", "connect_timeout", 1...600,
                 "Seconds to wait for a TCP connection to a peer before trying its next address.", \.delivery.connectTimeout),

        choice("delivery.tls", "policy", tlsPolicies,
               "STARTTLS to other servers (RFC 3207): \"may\" uses it when offered (a failed handshake falls back to plaintext); \"encrypt\" requires it; \"verify\" also checks the certificate against the name; \"none\" never.",
               \.delivery.tlsPolicy),
        .string("delivery.tls", "ca_file",
                "PEM roots trusted for \"verify\" besides the system's (e.g. another site's private CA); relative paths are inside the data folder. Empty: the system's only.",
                \.delivery.tlsCAFile,
                validate: { noControlCharacters($0) ? nil : "must not contain control characters" }),

        duration("queue", "max_lifetime", 1...(30 * day),
                 "How long a recipient is retried before its message bounces (RFC 5321 §4.5.4.1: 4-5 days).",
                 \.queue.maxLifetime),
        duration("queue", "delay_warning", 1...(30 * day),
                 "When the sender is told, once, that a message is still undelivered; less than max_lifetime.",
                 \.queue.delayWarning),
        duration("queue", "first_retry", 1...day,
                 "The wait after a first failed attempt; it doubles with each attempt.", \.queue.firstRetry),
        duration("queue", "max_retry_interval", 1...day,
                 "The longest wait between attempts; at least first_retry.", \.queue.maxRetryInterval),
        .integer("queue", "concurrency", 1...1000, "Outgoing connections at once, over all destinations.",
                 \.queue.concurrency),
        .integer("queue", "concurrency_per_domain", 1...100,
                 "Outgoing connections at once to one destination domain (receivers throttle more).",
                 \.queue.concurrencyPerDomain),

        nameservers,
    ]

    static let nextHopProblem = "must be \"host\", \"host:port\", \"[address]\" or \"[address]:port\" (an IP address in brackets, port 1-65535)"

    /// `[delivery.routes]` and `[delivery.tls.domains]`: one entry per destination domain.
    static let entryTables: [EntryTable] = [
        EntryTable(name: "delivery.tls.domains",
                   notes: "Per destination domain TLS policy, overriding [delivery.tls] policy.",
                   examples: ["\"partner.example\" = \"verify\""],
                   valueProblem: "must be one of \(tlsPolicies.map { "\"\($0)\"" }.joined(separator: ", "))",
                   isValid: { tlsPolicies.contains($0) }, path: \.delivery.tlsPolicyByDomain),
        EntryTable(name: "delivery.routes",
                   notes: "Per destination domain next hop, used even when relay_host is set.",
                   examples: ["\"example.org\" = \"[192.0.2.10]:25\"   # an address: no MX lookup",
                              "\"example.net\" = \"mx.example.net\"    # a host: its A/AAAA, never its MX"],
                   valueProblem: nextHopProblem,
                   isValid: { NextHopSyntax.parse($0) != nil }, path: \.delivery.routes),
    ]

    static let outboundTableNotes = [
        "delivery": """
            How remote mail leaves: MX lookup (RFC 5321 §5.1), or a smarthost. For a home server behind
            OP25B (port 25 blocked), send through the ISP's submission server, e.g.
            relay_host = "smtp.isp.example:587"
            relay_username = "user@isp.example"
            relay_password_file = "relay-password"
            """,
        "queue": """
            How long and how often remote mail is retried. Times are seconds, or a number with a unit: "90s", "30m", "4h", "5d".
            """,
        "dns": """
            The recursive resolvers asked for MX, A and AAAA, e.g. ["127.0.0.1", "127.0.0.1:5353", "[::1]:53"].
            """,
    ]

    static func choice(_ table: String, _ name: String, _ choices: [String], _ comment: String,
                       _ path: WritableKeyPath<TsubameConfiguration, String> & Sendable) -> Setting {
        .string(table, name, comment, path, validate: {
            choices.contains($0) ? nil : "must be one of \(choices.map { "\"\($0)\"" }.joined(separator: ", "))"
        })
    }

    /// Seconds, as an integer or a string with a unit ("90s", "30m", "4h", "5d"), which reads
    /// better for the day-long times of a queue. Written back with the largest exact unit.
    static func duration(_ table: String, _ name: String, _ range: ClosedRange<Int>, _ comment: String,
                         _ path: WritableKeyPath<TsubameConfiguration, Int> & Sendable) -> Setting {
        Setting(table: table, name: name, comment: comment, read: { value, config in
            guard let seconds = value.int ?? value.string.flatMap(parseDuration) else {
                return "must be seconds, or a string like \"90s\", \"30m\", \"4h\" or \"5d\""
            }
            guard range.contains(seconds) else {
                return "must be between \(renderDuration(range.lowerBound)) and \(renderDuration(range.upperBound))"
            }
            config[keyPath: path] = seconds
            return nil
        }, render: { renderDuration($0[keyPath: path]) })
    }

    static let durationUnits: [(suffix: Character, seconds: Int)] = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)]

    static func parseDuration(_ text: String) -> Int? {
        guard let suffix = text.last, let unit = durationUnits.first(where: { $0.suffix == suffix }) else { return nil }
        let digits = text.dropLast()
        // At most 7 digits: no overflow, and far beyond any range above.
        guard !digits.isEmpty, digits.count <= 7, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let number = Int(digits) else { return nil }
        return number * unit.seconds
    }

    static func renderDuration(_ seconds: Int) -> String {
        for unit in durationUnits.dropLast() where seconds > 0 && seconds % unit.seconds == 0 {
            return "\"\(seconds / unit.seconds)\(unit.suffix)\""
        }
        return "\(seconds)"
    }

    /// `[dns] nameservers`: IP addresses (a resolver cannot be found by name), with an optional
    /// port; IPv6 with a port only in brackets.
    static let nameservers = Setting(
        table: "dns", name: "nameservers",
        comment: "Resolvers as \"address\", \"address:port\" or \"[IPv6]:port\"; empty: those in /etc/resolv.conf.",
        read: { value, config in
            guard let array = value.array else { return "must be an array of strings, e.g. [\"127.0.0.1:5353\"]" }
            var servers: [String] = []
            for element in array {
                guard let text = element.string else { return "must be an array of strings, e.g. [\"127.0.0.1:5353\"]" }
                guard isNameserver(text) else {
                    return "\(ConfigTemplate.basicString(text)) is not \"address\", \"address:port\" or \"[IPv6]:port\""
                }
                servers.append(text)
            }
            config.dns.nameservers = servers
            return nil
        },
        render: { "[" + $0.dns.nameservers.map(ConfigTemplate.basicString).joined(separator: ", ") + "]" })

    /// As `DNSNameserver(parsing:)` reads it, so the server never fails on a value `config
    /// check` passed.
    static func isNameserver(_ text: String) -> Bool {
        if let (host, port) = HostPort.split(text) {
            guard let number = Int(port), port.allSatisfy({ $0.isASCII && $0.isNumber }), (1...65535).contains(number)
            else { return false }
            return NextHopSyntax.isIPv4(String(host)) || NextHopSyntax.isIPv6(String(host))
        }
        return NextHopSyntax.isIPv4(text) || NextHopSyntax.isIPv6(text)
    }

    static func noControlCharacters(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Rules that join two keys. Each is reported at the key the file sets (the other may be
    /// left at its default).
    static func checkOutbound(_ config: TsubameConfiguration, isSet: (String) -> Bool,
                              report: (String, String) -> Void) {
        let delivery = config.delivery
        if delivery.relayUsername.isEmpty != delivery.relayPasswordFile.isEmpty {
            if delivery.relayUsername.isEmpty {
                report("delivery.relay_password_file", "needs relay_username")
            } else {
                report("delivery.relay_username", "needs relay_password_file")
            }
        }
        if (!delivery.relayUsername.isEmpty || !delivery.relayPasswordFile.isEmpty) && delivery.relayHost.isEmpty {
            report(isSet("delivery.relay_username") ? "delivery.relay_username" : "delivery.relay_password_file",
                   "needs relay_host")
        }
        let queue = config.queue
        if queue.delayWarning >= queue.maxLifetime {
            report(isSet("queue.delay_warning") ? "queue.delay_warning" : "queue.max_lifetime",
                   "delay_warning must be less than max_lifetime")
        }
        if queue.firstRetry > queue.maxRetryInterval {
            report(isSet("queue.first_retry") ? "queue.first_retry" : "queue.max_retry_interval",
                   "first_retry must not exceed max_retry_interval")
        }
    }
}

/// A table whose keys are destination domains and whose values are strings of one kind.
struct EntryTable: Sendable {
    let name: String
    /// Written by the template above the header.
    let notes: String
    /// Written commented out below the header while the table is empty.
    let examples: [String]
    let valueProblem: String
    let isValid: @Sendable (String) -> Bool
    let path: WritableKeyPath<TsubameConfiguration, [String: String]> & Sendable

    /// Reads every entry; domains are case-insensitive (RFC 5321 §2.4), so keys are lowercased
    /// and one written twice in different cases is an error rather than a silent choice.
    func read(_ table: TOMLTable, into config: inout TsubameConfiguration, report: (String, String) -> Void) {
        for key in table.keys {
            let fullKey = "\(name).\(key)"
            let domain = key.lowercased()
            guard NextHopSyntax.isHostName(domain) else {
                report(fullKey, "must be a domain name like example.org")
                continue
            }
            guard let value = table[key]?.string, isValid(value) else {
                report(fullKey, valueProblem)
                continue
            }
            guard config[keyPath: path][domain] == nil else {
                report(fullKey, "\(domain) is listed twice (domain names are case-insensitive)")
                continue
            }
            config[keyPath: path][domain] = value
        }
    }

    func render(_ config: TsubameConfiguration) -> String {
        let entries = config[keyPath: path]
        var text = "# \(notes)\n"
        guard !entries.isEmpty else {
            return text + "# [\(name)]\n" + examples.map { "# \($0)\n" }.joined()
        }
        text += "[\(name)]\n"
        for domain in entries.keys.sorted() {
            text += "\(ConfigTemplate.basicString(domain)) = \(ConfigTemplate.basicString(entries[domain]!))\n"
        }
        return text
    }
}
