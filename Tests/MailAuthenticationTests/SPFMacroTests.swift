import MailAuthentication
import Testing

/// RFC 7208 §7: macro syntax and expansion, with the RFC's own examples (§7.4).
@Suite struct SPFMacroTests {
    let ipv4Values = SPFMacroValues(sender: "strong-bad@email.example.com", domain: "email.example.com",
                                    client: SPFAddress("192.0.2.3")!, helo: "mx.example.org", receiver: "mx.tsubame.test",
                                    timestamp: 1_700_000_000)

    func expand(_ text: String, _ values: SPFMacroValues? = nil, context: SPFMacroString.Context = .domainSpec) throws -> String {
        try SPFMacroString(parsing: text, context: context).expand(values ?? ipv4Values)
    }

    @Test(arguments: [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ])
    func expandsTheRFCExamplesForAnIPv4Client(macro: String, expected: String) throws {
        #expect(try expand(macro) == expected)
    }

    @Test func expandsTheRFCExampleForAnIPv6Client() throws {
        var values = ipv4Values
        values.client = SPFAddress("2001:db8::cb01")!
        #expect(try expand("%{ir}.%{v}._spf.%{d2}", values)
            == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")
    }

    @Test func expandsTheEscapesPercentSpaceAndURLSpace() throws {
        #expect(try expand("a%%b%_c%-d", context: .explanation) == "a%b c%20d")
    }

    @Test func urlEscapesUpperCaseMacros() throws {
        var values = ipv4Values
        values = SPFMacroValues(sender: "user+tag=x@example.com", domain: "example.com", client: values.client,
                                helo: values.helo, receiver: values.receiver, timestamp: 0)
        #expect(try expand("%{L}.%{l}", values) == "user%2Btag%3Dx.user+tag=x")
    }

    @Test func usesPostmasterForAnEmptyLocalPart() throws {
        let values = SPFMacroValues(sender: "@example.com", domain: "example.com", client: ipv4Values.client,
                                    helo: "h.example.com", receiver: "r", timestamp: 0)
        #expect(try expand("%{l}", values) == "postmaster")
    }

    @Test func expandsExplanationOnlyLetters() throws {
        var values = ipv4Values
        values.client = SPFAddress("2001:db8::cb01")!
        #expect(try expand("%{c} %{r} %{t}", values, context: .explanation) == "2001:db8::cb01 mx.tsubame.test 1700000000")
    }

    @Test(arguments: ["%{c}", "%{r}", "%{t}"])
    func refusesExplanationLettersInADomainSpec(macro: String) {
        #expect(throws: SPFSyntaxError.self) { try SPFMacroString(parsing: macro + ".example.com", context: .domainSpec) }
    }

    @Test(arguments: ["%", "%x", "%{", "%{z}", "%{d0}", "%{d2x}", "%{}", "a b", "%{d:}"])
    func refusesMalformedMacros(text: String) {
        #expect(throws: SPFSyntaxError.self) { try SPFMacroString(parsing: text, context: .domainSpec) }
    }

    @Test func truncatesLongDomainsFromTheLeft() throws {
        let label = String(repeating: "a", count: 60)
        let long = "\(label).\(label).\(label).\(label).\(label).example.com"
        let values = SPFMacroValues(sender: "x@\(long)", domain: long, client: ipv4Values.client, helo: "h", receiver: "r",
                                    timestamp: 0)
        let expanded = try SPFMacroString(parsing: "%{d}", context: .domainSpec).expandDomain(values)
        #expect(expanded.utf8.count <= 253)
        // 5 × 61 + 11 = 316 octets: two labels go (255 would still be too long).
        #expect(expanded == "\(label).\(label).\(label).example.com")
    }
}
