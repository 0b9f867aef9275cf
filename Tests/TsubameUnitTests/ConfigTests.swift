import Testing
@testable import TsubameConfig

@Suite("Configuration")
struct ConfigTests {
    @Test func templateParsesBackToTheSameSettings() throws {
        var config = TsubameConfiguration()
        config.hostname = "mx.example.org"
        config.smtp.maxRecipients = 42
        let text = ConfigTemplate.render(config)
        let parsed = try ConfigLoader.parse(text).get()
        #expect(parsed == config)
    }

    @Test func templateCommentsEveryKey() {
        let text = ConfigTemplate.render(TsubameConfiguration())
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for setting in ConfigSchema.settings {
            guard let index = lines.firstIndex(where: { $0.hasPrefix("\(setting.name) = ") }) else {
                Issue.record("\(setting.key) missing"); continue
            }
            #expect(lines[index - 1].hasPrefix("# "), "\(setting.key) has no comment")
        }
        #expect(text.contains("# submission = \"0.0.0.0:587\""))
    }

    @Test func reportsEachErrorWithKeyAndLine() throws {
        let text = """
        hostname = "mx.example.org"
        colour = "blue"

        [listeners]
        smtp = "0.0.0.0:99999"
        imap = "0.0.0.0:143"

        [smtp]
        max_recipients = "many"
        max_errors = 0
        """
        guard case .failure(let issues) = ConfigLoader.parse(text) else { Issue.record("accepted"); return }
        let found = issues.issues.map { "\($0.line ?? 0) \($0.key)" }
        #expect(found == ["2 colour", "4 listeners", "5 listeners.smtp", "6 listeners.imap", "9 smtp.max_recipients", "10 smtp.max_errors"])
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
        let text = #"""
        hostname = "mx.example.org"
        [listeners]
        smtp = "127.0.0.1:25"
        [smtp]
        recipient_delimiter = """
        [tls]
        certificate = 'C:	ls\chain "new".pem'
        key = "tls/key
	.pem"
        """#
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

    @Test func parsesListenAddresses() {
        #expect(ListenAddress(parsing: "0.0.0.0:25") == ListenAddress(host: "0.0.0.0", port: 25))
        #expect(ListenAddress(parsing: "[::1]:0") == ListenAddress(host: "::1", port: 0))
        #expect(ListenAddress(parsing: "::1:25") == nil)
        #expect(ListenAddress(parsing: "host") == nil)
        #expect(ListenAddress(parsing: "host:70000") == nil)
    }
}
