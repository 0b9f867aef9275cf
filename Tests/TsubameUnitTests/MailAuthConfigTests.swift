import Testing
@testable import TsubameConfig

@Suite("Configuration: [checks], [dkim], [srs]")
struct MailAuthConfigTests {
    let base = "hostname = \"mx.example.org\"\n[listeners]\nsmtp = \"0.0.0.0:25\"\n"

    func issues(_ text: String) -> [String] {
        guard case .failure(let issues) = ConfigLoader.parse(base + text) else { return [] }
        return issues.issues.map { "\($0.line ?? 0) \($0.key)" }
    }

    @Test func defaultsWhenTheSectionsAreLeftOut() throws {
        let config = try ConfigLoader.parse(base).get()
        #expect(config.checks == InboundChecksConfiguration())
        #expect(config.dkim == DKIMConfiguration())
        #expect(config.srs == SRSConfiguration())
        #expect(config.checks.enabled && config.checks.dmarcReject && config.checks.spfFail == "mark")
        #expect(config.checks.ignoreLoopback)
        #expect((config.checks.timeout, config.checks.maxSignatures, config.srs.maxAgeDays) == (20, 5, 21))
        #expect(config.dkim.sign && config.srs.enabled && config.srs.domain.isEmpty)
    }

    @Test func readsEveryKey() throws {
        let config = try ConfigLoader.parse(base + """
            [checks]
            enabled = false
            authserv_id = "auth.example.org"
            dmarc_reject = false
            spf_fail = "reject"
            timeout = 300
            max_signatures = 20
            [dkim]
            sign = false
            [srs]
            enabled = false
            domain = "srs.example.org"
            max_age_days = 365
            """).get()
        var checks = InboundChecksConfiguration()
        checks.enabled = false
        checks.authservID = "auth.example.org"
        checks.dmarcReject = false
        checks.spfFail = "reject"
        checks.timeout = 300
        checks.maxSignatures = 20
        #expect(config.checks == checks)
        #expect(config.dkim.sign == false)
        #expect(!config.srs.enabled && config.srs.domain == "srs.example.org" && config.srs.maxAgeDays == 365)
        // The template writes it all back.
        let rendered = ConfigTemplate.render(config)
        let again = try ConfigLoader.parse(rendered).get()
        #expect(again == config)
        #expect(ConfigTemplate.render(again) == rendered)
    }

    @Test func lowerBoundsAreAccepted() throws {
        let config = try ConfigLoader.parse(base + "[checks]\ntimeout = 1\nmax_signatures = 1\n[srs]\nmax_age_days = 1\n").get()
        #expect((config.checks.timeout, config.checks.maxSignatures, config.srs.maxAgeDays) == (1, 1, 1))
    }

    @Test func eachInvalidValueIsReportedAtItsLine() {
        // Lines 1-3 are `base`.
        let found = issues("""
            [checks]
            enabled = "yes"
            authserv_id = "not a host"
            dmarc_reject = 1
            spf_fail = "drop"
            timeout = 0
            max_signatures = 21
            [dkim]
            sign = "always"
            [srs]
            enabled = 0
            domain = "bad domain"
            max_age_days = 366
            """)
        #expect(found == ["5 checks.enabled", "6 checks.authserv_id", "7 checks.dmarc_reject", "8 checks.spf_fail",
                          "9 checks.timeout", "10 checks.max_signatures", "12 dkim.sign", "14 srs.enabled",
                          "15 srs.domain", "16 srs.max_age_days"])
    }

    @Test func messagesSayWhatIsAllowed() {
        guard case .failure(let issues) = ConfigLoader.parse(base + "[checks]\nspf_fail = \"drop\"\ntimeout = 301\n[srs]\nmax_age_days = 0\n")
        else { Issue.record("accepted"); return }
        let messages = issues.issues.map(\.description)
        #expect(messages == ["line 5: checks.spf_fail: must be one of \"mark\", \"reject\"",
                             "line 6: checks.timeout: must be between 1 and 300",
                             "line 8: srs.max_age_days: must be between 1 and 365"])
    }

    @Test func unknownKeysInTheNewTablesAreReported() {
        #expect(issues("[dkim]\nselector = \"s1\"\n[srs]\nsecret = \"x\"\n") == ["5 dkim.selector", "7 srs.secret"])
    }

    @Test func theTemplateDocumentsTheTablesWithTheirDefaults() {
        let text = ConfigTemplate.render(TsubameConfiguration())
        for line in ["[checks]", "enabled = true", "authserv_id = \"\"", "dmarc_reject = true", "spf_fail = \"mark\"",
                     "timeout = 20", "max_signatures = 5", "[dkim]", "sign = true", "[srs]", "domain = \"\"",
                     "max_age_days = 21"] {
            #expect(text.contains("\n\(line)\n"), "\(line)")
        }
        #expect(text.contains("# DKIM signing. Keys: `tsubame dkim keygen|list|show|activate|retire`"))
        // Each key comes after its comment line.
        let lines = text.split(separator: "\n").map(String.init)
        let index = lines.firstIndex(of: "max_age_days = 21")!
        #expect(lines[index - 1].hasPrefix("# Days a rewritten address accepts bounces"))
    }
}
