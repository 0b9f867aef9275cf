import TOMLKit

/// One problem in tsubame.toml, with where it is.
public struct ConfigIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var line: Int?
    public var message: String

    public init(key: String, line: Int?, message: String) {
        self.key = key
        self.line = line
        self.message = message
    }

    public var description: String {
        "\(line.map { "line \($0): " } ?? "")\(key): \(message)"
    }
}

/// All problems found in one file.
public struct ConfigIssues: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(_ issues: [ConfigIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// A scalar setting: where it lives, its comment, how to read and write it. One list serves
/// parsing, validation and the commented file `init` writes, so they cannot drift apart.
struct Setting: Sendable {
    let table: String?
    let name: String
    let comment: String
    let read: @Sendable (TOMLValueConvertible, inout TsubameConfiguration) -> String?
    let render: @Sendable (TsubameConfiguration) -> String
    /// False for an optional key the configuration leaves out: the template then writes it
    /// commented out, with the value that applies instead.
    var isSet: @Sendable (TsubameConfiguration) -> Bool = { _ in true }

    var key: String { table.map { "\($0).\(name)" } ?? name }

    static func integer(_ table: String, _ name: String, _ range: ClosedRange<Int>, _ comment: String,
                        _ path: WritableKeyPath<TsubameConfiguration, Int> & Sendable) -> Setting {
        Setting(table: table, name: name, comment: comment, read: { value, config in
            guard let number = value.int else { return "must be an integer" }
            guard range.contains(number) else { return "must be between \(range.lowerBound) and \(range.upperBound)" }
            config[keyPath: path] = number
            return nil
        }, render: { "\($0[keyPath: path])" })
    }

    static func boolean(_ table: String, _ name: String, _ comment: String,
                        _ path: WritableKeyPath<TsubameConfiguration, Bool> & Sendable) -> Setting {
        Setting(table: table, name: name, comment: comment, read: { value, config in
            guard let flag = value.bool else { return "must be true or false" }
            config[keyPath: path] = flag
            return nil
        }, render: { "\($0[keyPath: path])" })
    }

    static func string(_ table: String?, _ name: String, _ comment: String,
                       _ path: WritableKeyPath<TsubameConfiguration, String> & Sendable,
                       validate: @escaping @Sendable (String) -> String?) -> Setting {
        Setting(table: table, name: name, comment: comment, read: { value, config in
            guard let text = value.string else { return "must be a string" }
            if let problem = validate(text) { return problem }
            config[keyPath: path] = text
            return nil
        }, render: { ConfigTemplate.basicString($0[keyPath: path]) })
    }

    /// `[limits.NAME] name`: the listener's own limit; when left out, its protocol's applies.
    static func listenerLimit(_ listener: ListenerName, _ name: String, _ comment: String,
                              _ path: WritableKeyPath<ListenerLimits, Int?> & Sendable,
                              effective: @escaping @Sendable (TsubameConfiguration) -> Int) -> Setting {
        Setting(table: "limits.\(listener.rawValue)", name: name, comment: comment, read: { value, config in
            guard let number = value.int else { return "must be an integer" }
            guard (1...1_000_000).contains(number) else { return "must be between 1 and 1000000" }
            config.listenerLimits[listener, default: ListenerLimits()][keyPath: path] = number
            return nil
        }, render: { "\(effective($0))" }, isSet: { $0.listenerLimits[listener]?[keyPath: path] != nil })
    }
}

enum ConfigSchema {
    static let settings: [Setting] = [
        .string(nil, "hostname", "Name of this server in the SMTP greeting and Received headers (its DNS name).",
                \.hostname, validate: { isHostname($0) ? nil : "must be a host name like mail.example.org" }),
        .string(nil, "primary_domain",
                "The domain whose postmaster gets <Postmaster>, and postmaster@ of domains without one (RFC 5321 §4.5.1).",
                \.primaryDomain, validate: { $0.isEmpty || isHostname($0) ? nil : "must be a domain name like example.org" }),

        .integer("smtp", "max_message_size", 1024...2_147_483_647,
                 "Largest message accepted, in octets (advertised as SIZE, RFC 1870).", \.smtp.maxMessageSize),
        .integer("smtp", "max_recipients", 1...100_000,
                 "Recipients per message; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8 asks for at least 100).",
                 \.smtp.maxRecipients),
        .integer("smtp", "max_connections", 1...1_000_000,
                 "Concurrent connections on each SMTP listener (smtp, submission, submissions: each counted apart); more get 421 4.7.0.",
                 \.smtp.maxConnections),
        .integer("smtp", "max_connections_per_ip", 1...1_000_000,
                 "Concurrent connections from one client IP on each SMTP listener; more get 421 4.7.0.",
                 \.smtp.maxConnectionsPerIP),
        .integer("smtp", "max_errors", 1...1000,
                 "Errors in one session before 421 4.7.0 and disconnect.", \.smtp.maxErrors),
        .integer("smtp", "command_timeout", 1...86400,
                 "Seconds to wait for the next command (RFC 5321 §4.5.3.2.7: at least 5 minutes).",
                 \.smtp.commandTimeout),
        .integer("smtp", "data_timeout", 1...86400,
                 "Seconds to wait for more message data (RFC 5321 §4.5.3.2.5-6: 3 and 10 minutes).",
                 \.smtp.dataTimeout),
        .boolean("smtp", "plus_addressing", "Deliver user+tag@domain to user@domain.", \.smtp.plusAddressing),
        .string("smtp", "recipient_delimiter", "The character that starts the tag in plus-addresses.",
                \.smtp.recipientDelimiter,
                validate: { $0.count == 1 && $0 != "@" && $0 != "." ? nil : "must be one character other than @ and ." }),

        .integer("pop3", "max_connections", 1...1_000_000,
                 "Concurrent connections on each POP3 listener (pop3, pop3s: each counted apart); more get -ERR [SYS/TEMP].",
                 \.pop3.maxConnections),
        .integer("pop3", "max_connections_per_ip", 1...1_000_000,
                 "Concurrent connections from one client IP on each POP3 listener.", \.pop3.maxConnectionsPerIP),
        .integer("pop3", "max_errors", 1...1000,
                 "Errors in one POP3 session before it is closed.", \.pop3.maxErrors),
        .integer("pop3", "idle_timeout", 1...86400,
                 "Seconds a POP3 session may stay idle (RFC 1939 §3: at least 10 minutes).", \.pop3.idleTimeout),
        plaintextPolicy("pop3", "Passwords without TLS: \"never\", \"loopback\" (only from 127.0.0.1/::1) or \"always\".",
                        \.pop3.allowPlaintext),

        .integer("imap", "max_connections", 1...1_000_000,
                 "Concurrent connections on each IMAP listener (imap, imaps: each counted apart); more get * BYE.",
                 \.imap.maxConnections),
        .integer("imap", "max_connections_per_ip", 1...1_000_000,
                 "Concurrent connections from one client IP on each IMAP listener.", \.imap.maxConnectionsPerIP),
        .integer("imap", "max_user_connections_per_ip", 1...100_000,
                 "Logged-in IMAP connections of one user from one client IP (as Dovecot's mail_max_userip_connections); more get NO [UNAVAILABLE] at login.",
                 \.imap.maxUserConnectionsPerIP),
        .integer("imap", "max_errors", 1...1000,
                 "Invalid commands in one IMAP session before * BYE and disconnect.", \.imap.maxErrors),
        .integer("imap", "idle_timeout", 60...86400,
                 "Seconds a logged-in IMAP session may stay silent (RFC 3501 §5.4: at least 30 minutes); IDLE keeps it open while its keepalives flow.",
                 \.imap.idleTimeout),
        .integer("imap", "login_timeout", 1...3600,
                 "Seconds a connection may stay silent before it logs in.", \.imap.loginTimeout),
        plaintextPolicy("imap", "Passwords without TLS: \"never\", \"loopback\" (only from 127.0.0.1/::1) or \"always\". Otherwise CAPABILITY says LOGINDISABLED until STARTTLS.",
                        \.imap.allowPlaintext),
        .integer("imap", "append_limit", 0...2_147_483_647,
                 "The largest message APPEND accepts, in octets (APPENDLIMIT, RFC 7889); 0: [smtp] max_message_size.",
                 \.imap.appendLimit),

        .boolean("smtp", "auth",
                 "Offer SMTP AUTH on the smtp listener (25) too, inside TLS. Off: port 25 is for other servers; users submit on 587/465.",
                 \.smtp.auth),
        plaintextPolicy("submission",
                        "SMTP AUTH without TLS: \"never\", \"loopback\" (only from 127.0.0.1/::1) or \"always\". A listener whose TLS is \"required\" never allows it.",
                        \.submission.allowPlaintext),
        .integer("submission", "max_messages_per_hour", 1...1_000_000,
                 "Messages one account may send in an hour; more get 450 4.7.1.", \.submission.maxMessagesPerHour),
        .integer("submission", "max_recipients_per_message", 1...100_000,
                 "Recipients of one message from an account; more get 450 4.7.1.", \.submission.maxRecipientsPerMessage),
        .integer("submission", "max_recipients_per_hour", 1...10_000_000,
                 "Recipients one account may address in an hour; more get 450 4.7.1.", \.submission.maxRecipientsPerHour),

        .integer("auth", "failure_delay_ms", 0...60000,
                 "Delay before answering a failed login; doubles with each failure from the same client IP (IPv6: /64).",
                 \.auth.failureDelayMilliseconds),
        .integer("auth", "max_failure_delay_ms", 0...600_000,
                 "The longest delay of a failed login. Correct passwords are never delayed.",
                 \.auth.maxFailureDelayMilliseconds),
        .integer("auth", "lockout_failures", 1...1_000_000,
                 "Failed logins from one client IP (IPv6: /64), whatever the accounts, that lock it out of all logins.",
                 \.auth.lockoutFailures),
        .integer("auth", "lockout_failures_per_account", 1...1_000_000,
                 "Failed logins for one account from one client IP (IPv6: /64) that lock it out of that account; other IPs can still log in.",
                 \.auth.lockoutFailuresPerAccount),
        .integer("auth", "lockout_seconds", 1...86400,
                 "How long a lockout lasts, and how long a failure counts (from the latest one).", \.auth.lockoutSeconds),
        .integer("auth", "account_failure_delay_ms", 0...60000,
                 "Delay of a failed login for an account that failed recently from anywhere; doubles per such failure, up to max_failure_delay_ms. Never locks the account.",
                 \.auth.accountFailureDelayMilliseconds),
        .integer("auth", "max_pending", 1...100_000,
                 "Password checks queued or running at once (on their own threads, one per core); more get a temporary error at once.",
                 \.auth.maxPending),
        .integer("auth", "cache_seconds", 0...86400,
                 "How long a successful password check counts for that same password (kept as a keyed hash in memory, never the password; a new password ends it at once); 0 checks every login in full.",
                 \.auth.cacheSeconds),
        .integer("auth", "cache_size", 0...10_000_000,
                 "Successful password checks remembered at most.", \.auth.cacheSize),

        .string("tls", "certificate",
                 "The server's certificate chain (PEM, leaf first); relative paths are inside the data folder.",
                 \.tls.certificate, validate: { $0.isEmpty ? "must name a file" : nil }),
        .string("tls", "key", "The private key of that certificate (PEM, mode 0600).", \.tls.key,
                validate: { $0.isEmpty ? "must name a file" : nil }),
        .string("tls", "sni_directory",
                "Extra certificates chosen by SNI: one folder each with chain.pem and key.pem (`tsubame cert issue --sni`).",
                \.tls.sniDirectory, validate: { $0.isEmpty ? "must name a folder" : nil }),
        .string("tls", "crl_url",
                "URL of the private CA's CRL (`tsubame ca crl`) put in issued certificates; empty for none.",
                \.tls.crlURL, validate: { isCRLURL($0) ? nil : "must be empty or an http:// or https:// URL" }),
        tlsMode(.smtp, "TLS on the smtp listener: \"optional\" offers STARTTLS (RFC 3207); \"required\" demands it; \"none\"."),
        tlsMode(.submission, "TLS on the submission listener (587): \"required\" demands STARTTLS before anything else (RFC 8314 §3.3)."),
        tlsMode(.submissions, "TLS on the submissions listener (465): \"implicit\", TLS from the first byte (RFC 8314 §3.3)."),
        tlsMode(.pop3, "TLS on the pop3 listener: \"optional\" offers STLS (RFC 2595); \"required\" demands it; \"none\"."),
        tlsMode(.pop3s, "TLS on the pop3s listener: \"implicit\", TLS from the first byte (RFC 8314)."),
        tlsMode(.imap, "TLS on the imap listener: \"optional\" offers STARTTLS (RFC 3501 §6.2.1); \"required\" demands it before any login; \"none\"."),
        tlsMode(.imaps, "TLS on the imaps listener: \"implicit\", TLS from the first byte (RFC 8314)."),
        .string("tls", "min_version", "The oldest TLS version accepted: \"1.2\" (RFC 8996 retired 1.0 and 1.1) or \"1.3\".",
                \.tls.minimumVersion, validate: { ["1.2", "1.3"].contains($0) ? nil : "must be \"1.2\" or \"1.3\" (TLS 1.0 and 1.1 are not offered, RFC 8996)" }),

        .integer("server", "shutdown_grace", 0...3600,
                 "Seconds that messages in transfer get to finish on SIGTERM before connections are cut.",
                 \.server.shutdownGrace),
        .integer("server", "storage_threads", 1...256,
                 "Threads that write and fsync mail; several let the disk commit concurrent messages together.",
                 \.server.storageThreads),
        .string("server", "user",
                "The system user `serve` started as root runs as once its ports are bound; it must own the data folder. Empty: stay root.",
                \.server.user, validate: { isAccountName($0) ? nil : "must be empty or a user name like tsubame" }),
        .string("server", "group", "The group to run as; empty: the user's primary group.", \.server.group,
                validate: { isAccountName($0) ? nil : "must be empty or a group name like tsubame" }),

        .string("log", "level", "One of trace, debug, info, notice, warning, error, critical.", \.log.level,
                validate: { LogSettings.levels.contains($0) ? nil : "must be one of \(LogSettings.levels.joined(separator: ", "))" }),
    ] + ListenerName.allCases.flatMap(listenerLimits) + outboundSettings + mailAuthSettings

    /// In the order the template writes them; a table before the tables nested in it.
    static let tables = ["listeners", "smtp", "submission", "pop3", "imap"] + ListenerName.allCases.map { "limits.\($0.rawValue)" }
        + ["auth", "tls", "server", "log", "delivery", "delivery.tls", "delivery.tls.domains", "delivery.routes",
           "queue", "dns", "checks", "dkim", "srs"]

    /// Written by the template above a table's header.
    static let tableNotes = outboundTableNotes.merging(mailAuthTableNotes) { first, _ in first }.merging([
        "submission": """
            What logged-in users may do on submission (587), submissions (465), and smtp when [smtp] auth is on.
            AUTH is required there before MAIL; MAIL FROM and the header From must be the account's own addresses.
            """,
        "limits.smtp": """
            Each listener counts its connections on its own: a flood on one port leaves the others usable.
            A key left out takes the value of [smtp] (smtp, submission, submissions), [pop3] (pop3, pop3s)
            or [imap] (imap, imaps).
            """,
    ]) { first, _ in first }

    static func listenerLimits(_ listener: ListenerName) -> [Setting] {
        let table = listener.protocolTable
        return [
            .listenerLimit(listener, "max_connections",
                           "Concurrent connections on the \(listener.rawValue) listener (unset: [\(table)] max_connections).",
                           \.maxConnections) { $0.maximumConnections(for: listener) },
            .listenerLimit(listener, "max_connections_per_ip",
                           "Concurrent connections from one client IP on it (unset: [\(table)] max_connections_per_ip).",
                           \.maxConnectionsPerIP) { $0.maximumConnectionsPerIP(for: listener) },
        ]
    }

    static func plaintextPolicy(_ table: String, _ comment: String,
                                _ keyPath: WritableKeyPath<TsubameConfiguration, PlaintextPolicy> & Sendable) -> Setting {
        Setting(table: table, name: "allow_plaintext", comment: comment, read: { value, config in
            guard let text = value.string, let policy = PlaintextPolicy(rawValue: text) else {
                return "must be one of \(PlaintextPolicy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
            }
            config[keyPath: keyPath] = policy
            return nil
        }, render: { "\"\($0[keyPath: keyPath].rawValue)\"" })
    }

    static func tlsMode(_ listener: ListenerName, _ comment: String) -> Setting {
        Setting(table: "tls", name: listener.rawValue, comment: comment, read: { value, config in
            guard let text = value.string, let mode = TLSMode(rawValue: text) else {
                return "must be one of \(TLSMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
            }
            config.tls.modes[listener] = mode
            return nil
        }, render: { "\"\($0.tls.mode(for: listener).rawValue)\"" })
    }

    static func isCRLURL(_ text: String) -> Bool {
        if text.isEmpty { return true }
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return false }
        return text.utf8.count <= 2048 && !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value >= 0x7F }
    }

    /// Empty, or a user or group name as shadow-utils accepts it: letters, digits, `_`, `.`, `-`,
    /// not starting with `-`, not `.` or `..`, not all digits (that would read as an id), an
    /// optional final `$`.
    static func isAccountName(_ text: String) -> Bool {
        if text.isEmpty { return true }
        let body = text.hasSuffix("$") ? text.dropLast() : Substring(text)
        guard !body.isEmpty, body.utf8.count <= 32, !body.hasPrefix("-"), body != ".", body != "..",
              !body.allSatisfy({ ("0"..."9").contains($0) }) else { return false }
        return body.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
        }
    }

    static func isHostname(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" }
        }
    }
}
