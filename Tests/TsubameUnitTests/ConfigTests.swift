import Testing
@testable import TsubameConfig

@Suite("Configuration")
struct ConfigTests {
    @Test func templateParsesBackToTheSameSettings() throws {
        var config = TsubameConfiguration()
        config.hostname = "mx.example.org"
        config.smtp.maxRecipients = 42
        config.listenerLimits[.pop3s] = ListenerLimits(maxConnections: 5, maxConnectionsPerIP: 2)
        let text = ConfigTemplate.render(config)
        let parsed = try ConfigLoader.parse(text).get()
        #expect(parsed == config)
    }

    @Test func templateCommentsEveryKey() {
        let text = ConfigTemplate.render(TsubameConfiguration())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Each key in its table (headers of tables with nothing set are commented out too).
        var table: String?
        var found: [String: Int] = [:]
        for (index, line) in lines.enumerated() {
            let bare = line.hasPrefix("# [") ? String(line.dropFirst(2)) : line
            if bare.hasPrefix("[") {
                table = String(bare.dropFirst().prefix { $0 != "]" })
            } else if let equals = line.range(of: " = ") {
                var name = String(line[..<equals.lowerBound])
                if name.hasPrefix("# ") { name.removeFirst(2) }
                found[table.map { "\($0).\(name)" } ?? name] = index
            }
        }
        for setting in ConfigSchema.settings {
            guard let index = found[setting.key] else { Issue.record("\(setting.key) missing"); continue }
            #expect(lines[index - 1].hasPrefix("# "), "\(setting.key) has no comment")
        }
        #expect(text.contains("# submission = \"0.0.0.0:587\""))
    }

    @Test func listenerLimitsDefaultToTheirProtocolsAndCanBeSetApart() throws {
        let text = """
        hostname = "mx.example.org"

        [listeners]
        smtp = "0.0.0.0:25"

        [smtp]
        max_connections = 300

        [pop3]
        max_connections_per_ip = 7

        [limits.submission]
        max_connections = 40

        [limits.pop3s]
        max_connections_per_ip = 3
        """
        let config = try ConfigLoader.parse(text).get()
        #expect(config.maximumConnections(for: .smtp) == 300)
        #expect(config.maximumConnections(for: .submissions) == 300)
        #expect(config.maximumConnections(for: .submission) == 40)
        #expect(config.maximumConnectionsPerIP(for: .submission) == SMTPSettings().maxConnectionsPerIP)
        #expect(config.maximumConnectionsPerIP(for: .pop3) == 7)
        #expect(config.maximumConnectionsPerIP(for: .pop3s) == 3)
        #expect(config.maximumConnections(for: .pop3s) == POP3Settings().maxConnections)
    }

    @Test func templateWritesListenerLimitsCommentedOutUnlessSet() throws {
        var config = TsubameConfiguration()
        config.hostname = "mx.example.org"
        config.listenerLimits[.submission] = ListenerLimits(maxConnections: 40)
        let text = ConfigTemplate.render(config)
        #expect(text.contains("[limits.submission]\n"))
        #expect(text.contains("\nmax_connections = 40\n"))
        #expect(text.contains("\n# max_connections_per_ip = 50\n"))
        #expect(text.contains("\n# [limits.pop3s]\n"))
        #expect(try ConfigLoader.parse(text).get() == config)
    }

    @Test func reportsUnknownListenerLimits() throws {
        let text = """
        hostname = "mx.example.org"
        [listeners]
        smtp = "0.0.0.0:25"
        [limits.jmap]
        max_connections = 4
        [limits.smtp]
        max_connections = 0
        colour = 1
        """
        guard case .failure(let issues) = ConfigLoader.parse(text) else { Issue.record("accepted"); return }
        #expect(issues.issues.map(\.key).sorted() == ["limits.jmap", "limits.smtp.colour", "limits.smtp.max_connections"])
    }

    @Test func authSettingsParse() throws {
        let text = """
        hostname = "mx.example.org"
        [listeners]
        smtp = "0.0.0.0:25"
        [auth]
        lockout_failures_per_account = 3
        account_failure_delay_ms = 50
        max_pending = 8
        """
        let auth = try ConfigLoader.parse(text).get().auth
        #expect((auth.lockoutFailuresPerAccount, auth.accountFailureDelayMilliseconds, auth.maxPending) == (3, 50, 8))
    }

    @Test func submissionSettingsParse() throws {
        let text = """
        hostname = "mx.example.org"
        [listeners]
        submission = "0.0.0.0:587"
        [smtp]
        auth = true
        [submission]
        allow_plaintext = "never"
        max_messages_per_hour = 5
        max_recipients_per_message = 7
        max_recipients_per_hour = 9
        """
        let config = try ConfigLoader.parse(text).get()
        #expect(config.smtp.auth)
        let submission = config.submission
        #expect(submission.allowPlaintext == .never)
        #expect((submission.maxMessagesPerHour, submission.maxRecipientsPerMessage, submission.maxRecipientsPerHour) == (5, 7, 9))
    }

    @Test func refusesABadSubmissionPlaintextPolicy() {
        let text = """
        hostname = "mx.example.org"
        [listeners]
        submission = "0.0.0.0:587"
        [submission]
        allow_plaintext = "sometimes"
        max_messages_per_hour = 0
        """
        guard case .failure(let issues) = ConfigLoader.parse(text) else { Issue.record("accepted"); return }
        #expect(issues.issues.map(\.key).sorted() == ["submission.allow_plaintext", "submission.max_messages_per_hour"])
    }

    @Test func reportsEachErrorWithKeyAndLine() throws {
        let text = """
        hostname = "mx.example.org"
        colour = "blue"

        [listeners]
        smtp = "0.0.0.0:99999"
        jmap = "0.0.0.0:143"

        [smtp]
        max_recipients = "many"
        max_errors = 0
        """
        guard case .failure(let issues) = ConfigLoader.parse(text) else { Issue.record("accepted"); return }
        let found = issues.issues.map { "\($0.line ?? 0) \($0.key)" }
        #expect(found == ["2 colour", "4 listeners", "5 listeners.smtp", "6 listeners.jmap", "9 smtp.max_recipients", "10 smtp.max_errors"])
    }

    /// Found by FuzzConfig: toml++ (in TOMLKit 0.6.0) asserts and aborts on these headers.
    @Test func refusesTableHeadersWithoutANameInsteadOfCrashing() throws {
        for header in ["[.smtp]", "[", "[ =]", "[#]", "[[ .a]]", "[\r", "[é]", "\t[\t.x]"] {
            let text = "hostname = \"mx.example.org\"\n[listeners]\nsmtp = \"127.0.0.1:25\"\n\(header)\n"
            guard case .failure(let issues) = ConfigLoader.parse(text) else {
                Issue.record("\(header.debugDescription) accepted")
                continue
            }
            #expect(issues.issues == [ConfigIssue(key: "(syntax)", line: 4, message: "a table header needs a name, as in [smtp]")],
                    "\(header.debugDescription)")
        }
        for fine in ["[smtp]", "[ smtp ]", "[\"smtp\"]", "['smtp']", "[_x]", "[-x]", "[0]", "[]", "[[x]]"] {
            #expect(ConfigLoader.unnamedTableHeaderLine("a = 1\n\(fine)\n") == nil, "\(fine)")
        }
    }

    /// Found by FuzzConfig: the template wrote string values between quotes unescaped, so a value
    /// the loader accepts with a quote, a backslash or a control character gave a file that no
    /// longer parsed; and "[[x]:25" was a listener whose address did not read back.
    @Test func templateEscapesStringValuesSoTheyReadBack() throws {
        // TOML escapes: a quote, a literal string with backslashes, control characters.
        let text = """
            hostname = "mx.example.org"
            [listeners]
            smtp = "127.0.0.1:25"
            [smtp]
            recipient_delimiter = "\\""
            [tls]
            certificate = 'C:\\tls\\chain "new".pem'
            key = "tls/key\\u0001\\t.pem"

            """
        let config = try ConfigLoader.parse(text).get()
        #expect(config.smtp.recipientDelimiter == "\"")
        #expect(config.tls.certificate == #"C:\tls\chain "new".pem"#)
        let rendered = ConfigTemplate.render(config)
        #expect(try ConfigLoader.parse(rendered).get() == config)
        #expect(ListenAddress(parsing: "[[x]:25") == nil)
        #expect(ListenAddress(parsing: "[x]]:25") == nil)
        #expect(ListenAddress(parsing: "[::1]:25") == ListenAddress(host: "::1", port: 25))
    }

    @Test func reportsSyntaxErrorsWithLine() {
        guard case .failure(let issues) = ConfigLoader.parse("hostname = \"x\"\n[smtp\n") else { Issue.record("accepted"); return }
        #expect(issues.issues.first?.line == 2)
    }

    @Test func readsTheServerUserAndGroup() throws {
        let base = "hostname = \"mx.example.org\"\n[listeners]\nsmtp = \"0.0.0.0:25\"\n[server]\n"
        let both = try ConfigLoader.parse(base + "user = \"tsubame\"\ngroup = \"mail\"\n").get()
        #expect(both.server.user == "tsubame")
        #expect(both.server.group == "mail")
        let unset = try ConfigLoader.parse(base + "user = \"\"\ngroup = \"\"\n").get()
        #expect(unset.server.user.isEmpty && unset.server.group.isEmpty)
    }

    @Test func templateWritesAndReadsBackTheServerUser() throws {
        var config = TsubameConfiguration()
        config.server.user = "tsubame"
        let text = ConfigTemplate.render(config)
        #expect(text.contains("\nuser = \"tsubame\"\n"))
        #expect(try ConfigLoader.parse(text).get() == config)
    }

    @Test(arguments: ["root user", "-tsubame", "1000", ".", "ユーザー", "a/b", String(repeating: "u", count: 33)])
    func refusesMalformedAccountNames(_ name: String) {
        let text = "hostname = \"mx.example.org\"\n[listeners]\nsmtp = \"0.0.0.0:25\"\n[server]\nuser = \"\(name)\"\ngroup = \"\(name)\"\n"
        guard case .failure(let issues) = ConfigLoader.parse(text) else { Issue.record("accepted \(name)"); return }
        #expect(issues.issues.map(\.key) == ["server.user", "server.group"])
    }

    @Test func acceptsAccountNamesUseraddAccepts() {
        for name in ["tsubame", "_tsubame", "mail.user", "tsubame-test", "Debian-exim", "host$", "u1000"] {
            #expect(ConfigSchema.isAccountName(name), "\(name)")
        }
    }

    @Test func refusesAGroupWithoutAUser() {
        let text = "hostname = \"mx.example.org\"\n[listeners]\nsmtp = \"0.0.0.0:25\"\n[server]\ngroup = \"mail\"\n"
        guard case .failure(let issues) = ConfigLoader.parse(text) else { Issue.record("accepted"); return }
        #expect(issues.issues.map(\.description) == ["line 5: server.group: needs [server] user"])
    }

    @Test func parsesListenAddresses() {
        #expect(ListenAddress(parsing: "0.0.0.0:25") == ListenAddress(host: "0.0.0.0", port: 25))
        #expect(ListenAddress(parsing: "[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(ListenAddress(parsing: "::1:25") == nil)
        #expect(ListenAddress(parsing: "host") == nil)
        #expect(ListenAddress(parsing: "host:70000") == nil)
    }
}

@Suite("IMAP configuration")
struct IMAPConfigTests {
    @Test func imapListenersAndSettings() throws {
        let text = """
        hostname = "mx.example.org"
        [listeners]
        imap = "0.0.0.0:143"
        imaps = "[::]:993"
        [smtp]
        max_message_size = 1000000
        [imap]
        max_user_connections_per_ip = 3
        allow_plaintext = "never"
        [limits.imaps]
        max_connections = 7
        """
        guard case .success(let config) = ConfigLoader.parse(text) else { Issue.record("refused"); return }
        #expect(config.listeners[.imap] == ListenAddress(host: "0.0.0.0", port: 143))
        #expect(config.listeners[.imaps] == ListenAddress(host: "::", port: 993))
        #expect(config.imap.maxUserConnectionsPerIP == 3)
        #expect(config.imap.allowPlaintext == .never)
        // append_limit 0 (the default): the SMTP size limit.
        #expect(config.imap.effectiveAppendLimit(smtp: config.smtp) == 1_000_000)
        #expect(config.maximumConnections(for: .imaps) == 7)
        #expect(config.maximumConnections(for: .imap) == config.imap.maxConnections)
        #expect(config.tls.mode(for: .imap) == .optional)
        #expect(config.tls.mode(for: .imaps) == .implicit)
        #expect(ListenerName.imap.unprivilegedPort == 2143 && ListenerName.imaps.unprivilegedPort == 2993)
    }

    @Test func idleTimeoutBelowAMinuteIsRefused() {
        let text = """
        [imap]
        idle_timeout = 10
        """
        guard case .failure(let issues) = ConfigLoader.parse(text) else { Issue.record("accepted"); return }
        #expect(issues.issues.map(\.key).contains("imap.idle_timeout"))
    }
}
