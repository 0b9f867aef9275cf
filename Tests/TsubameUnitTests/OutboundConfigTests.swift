import Testing
@testable import TsubameConfig

@Suite("Configuration: [delivery], [queue], [dns]")
struct OutboundConfigTests {
    let base = "hostname = \"mx.example.org\"\n[listeners]\nsmtp = \"0.0.0.0:25\"\n"

    func issues(_ text: String) -> [String] {
        guard case .failure(let issues) = ConfigLoader.parse(base + text) else { return [] }
        return issues.issues.map { "\($0.line ?? 0) \($0.key)" }
    }

    @Test func defaultsWhenTheSectionsAreLeftOut() throws {
        let config = try ConfigLoader.parse(base).get()
        #expect(config.delivery == DeliveryConfiguration())
        #expect(config.queue == QueueConfiguration())
        #expect(config.dns == DNSConfiguration())
        #expect((config.delivery.smtpPort, config.delivery.ipFamily, config.delivery.tlsPolicy) == (25, "any", "may"))
        #expect((config.queue.maxLifetime, config.queue.delayWarning) == (432_000, 14_400))
    }

    @Test func readsEveryKey() throws {
        let config = try ConfigLoader.parse(base + """
            [delivery]
            helo_name = "out.example.org"
            smtp_port = 2525
            ip_family = "ipv4"
            relay_host = "smtp.isp.example:587"
            relay_username = "me@isp.example"
            relay_password_file = "relay-password"
            connect_timeout = 10
            [delivery.tls]
            policy = "encrypt"
            ca_file = "tls/partner-ca.pem"
            [delivery.tls.domains]
            "Partner.Example" = "verify"
            "legacy.example" = "none"
            [delivery.routes]
            "Example.ORG" = "[192.0.2.10]:25"
            "v6.example" = "[2001:db8::1]"
            "named.example" = "mx.named.example"
            [queue]
            max_lifetime = "3d"
            delay_warning = 7200
            first_retry = "90s"
            max_retry_interval = "30m"
            concurrency = 50
            concurrency_per_domain = 2
            [dns]
            nameservers = ["127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1"]
            """).get()
        let delivery = config.delivery
        #expect(delivery.heloName == "out.example.org" && delivery.smtpPort == 2525 && delivery.ipFamily == "ipv4")
        #expect(delivery.relayHost == "smtp.isp.example:587" && delivery.relayUsername == "me@isp.example")
        #expect(delivery.relayPasswordFile == "relay-password" && delivery.connectTimeout == 10)
        #expect(delivery.tlsPolicy == "encrypt" && delivery.tlsCAFile == "tls/partner-ca.pem")
        #expect(delivery.tlsPolicyByDomain == ["partner.example": "verify", "legacy.example": "none"])
        #expect(delivery.routes == ["example.org": "[192.0.2.10]:25", "v6.example": "[2001:db8::1]",
                                    "named.example": "mx.named.example"])
        let queue = config.queue
        #expect((queue.maxLifetime, queue.delayWarning, queue.firstRetry, queue.maxRetryInterval) == (259_200, 7200, 90, 1800))
        #expect((queue.concurrency, queue.concurrencyPerDomain) == (50, 2))
        #expect(config.dns.nameservers == ["127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1"])
        // And the template writes it all back, as FuzzConfig demands of any accepted file.
        let rendered = ConfigTemplate.render(config)
        let again = try ConfigLoader.parse(rendered).get()
        #expect(again == config)
        #expect(ConfigTemplate.render(again) == rendered)
        #expect(rendered.contains("\n[delivery.routes]\n\"example.org\" = \"[192.0.2.10]:25\"\n"))
    }

    @Test func eachInvalidValueIsReportedAtItsLine() {
        // Lines 1-3 are `base`.
        let found = issues("""
            [delivery]
            helo_name = "bad name"
            smtp_port = 0
            ip_family = "ipv5"
            relay_host = "::1:25"
            connect_timeout = 601
            colour = "blue"
            [delivery.tls]
            policy = "always"
            [delivery.tls.domains]
            "partner.example" = "sometimes"
            "not a domain" = "may"
            [delivery.routes]
            "example.org" = "192.0.2.10:25"
            "example.net" = "mx.example.net:0"
            [delivery.extra]
            [queue]
            max_lifetime = "5 days"
            first_retry = 0
            concurrency = 1001
            concurrency_per_domain = 101
            [dns]
            nameservers = ["ns.example.org", "[::1]", "127.0.0.1:99999"]
            """)
        #expect(found == ["5 delivery.helo_name", "6 delivery.smtp_port", "7 delivery.ip_family", "8 delivery.relay_host",
                          "9 delivery.connect_timeout", "10 delivery.colour", "12 delivery.tls.policy",
                          "14 delivery.tls.domains.partner.example", "15 delivery.tls.domains.not a domain",
                          "17 delivery.routes.example.org", "18 delivery.routes.example.net", "19 delivery.extra",
                          "21 queue.max_lifetime", "22 queue.first_retry", "23 queue.concurrency",
                          "24 queue.concurrency_per_domain", "26 dns.nameservers"])
    }

    @Test(arguments: ["smtp.isp.example", "smtp.isp.example:587", "[192.0.2.1]", "[192.0.2.1]:465", "[2001:db8::1]:25",
                      "[::1]"])
    func acceptsNextHopForms(_ hop: String) throws {
        let config = try ConfigLoader.parse(base + "[delivery]\nrelay_host = \"\(hop)\"\n").get()
        #expect(config.delivery.relayHost == hop)
    }

    @Test(arguments: ["192.0.2.1", "192.0.2.1:25", "2001:db8::1", "[2001:db8::1", "[example.org]:25", "host:", "host:x",
                      "host:65536", "[::1]25", "-bad.example", "a..b", "ホスト.example"])
    func refusesMalformedNextHops(_ hop: String) {
        let text = "[delivery]\nrelay_host = \(ConfigTemplate.basicString(hop))\n"
        #expect(issues(text) == ["5 delivery.relay_host"], "\(hop.debugDescription)")
    }

    @Test func relayCredentialsComeInPairsAndNeedARelay() {
        #expect(issues("[delivery]\nrelay_host = \"smtp.isp.example:587\"\nrelay_username = \"me\"\n")
            == ["6 delivery.relay_username"])
        #expect(issues("[delivery]\nrelay_host = \"smtp.isp.example:587\"\nrelay_password_file = \"pw\"\n")
            == ["6 delivery.relay_password_file"])
        #expect(issues("[delivery]\nrelay_username = \"me\"\nrelay_password_file = \"pw\"\n") == ["5 delivery.relay_username"])
    }

    @Test func queueTimesMustBeInOrder() {
        #expect(issues("[queue]\nmax_lifetime = \"2h\"\n") == ["5 queue.max_lifetime"])  // delay_warning 4h by default
        #expect(issues("[queue]\nmax_lifetime = \"2h\"\ndelay_warning = \"2h\"\n") == ["6 queue.delay_warning"])
        #expect(issues("[queue]\nfirst_retry = \"2h\"\n") == ["5 queue.first_retry"])
        #expect(issues("[queue]\nmax_retry_interval = \"1m\"\n") == ["5 queue.max_retry_interval"])
        #expect(issues("[queue]\nfirst_retry = 60\nmax_retry_interval = \"1m\"\n").isEmpty)
    }

    @Test func durationsTakeSecondsOrAUnitAndAreWrittenWithTheLargestExactUnit() {
        #expect(ConfigSchema.parseDuration("90s") == 90)
        #expect(ConfigSchema.parseDuration("30m") == 1800)
        #expect(ConfigSchema.parseDuration("4h") == 14_400)
        #expect(ConfigSchema.parseDuration("5d") == 432_000)
        for bad in ["", "d", "5", "5w", "-5m", "5.5h", " 5h", "99999999d", "٥d"] {
            #expect(ConfigSchema.parseDuration(bad) == nil, "\(bad)")
        }
        #expect(ConfigSchema.renderDuration(432_000) == "\"5d\"")
        #expect(ConfigSchema.renderDuration(5400) == "\"90m\"")
        #expect(ConfigSchema.renderDuration(90) == "90")
    }

    @Test func theTemplateLoadsToDefaultsAndShowsTheExamplesCommentedOut() throws {
        var config = TsubameConfiguration()
        config.hostname = "mx.example.org"
        let text = ConfigTemplate.render(config)
        let parsed = try ConfigLoader.parse(text).get()
        #expect(parsed == config)
        for line in ["[delivery]", "[delivery.tls]", "# [delivery.tls.domains]", "# [delivery.routes]", "[queue]", "[dns]",
                     "# relay_host = \"smtp.isp.example:587\"", "# [delivery.routes]\n# \"example.org\" = \"[192.0.2.10]:25\"   # an address: no MX lookup",
                     "max_lifetime = \"5d\"", "delay_warning = \"4h\"", "nameservers = []", "policy = \"may\""] {
            #expect(text.contains("\n\(line)\n") || text.contains("\n\(line) "), "\(line)")
        }
    }

    @Test func routesAndPoliciesWrittenInTwoCasesAreRefused() {
        #expect(issues("[delivery.routes]\n\"example.org\" = \"[192.0.2.1]\"\n\"EXAMPLE.org\" = \"[192.0.2.2]\"\n").count == 1)
    }
}
