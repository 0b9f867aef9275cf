import MailAuthentication
import Testing

/// check_host() against an in-memory zone: the rules pyspf does not share (see
/// SPFCrossCheckTests for the table checked against it) and the reasons given.
@Suite struct SPFEvaluatorTests {
    func check(_ zone: ZoneDNS, ip: String = "192.0.2.10", sender: String) async -> SPFOutcome {
        let domain = String(sender[sender.index(after: sender.lastIndex(of: "@")!)...])
        return await SPFEvaluator(dns: zone).checkHost(clientIP: ip, domain: domain, sender: sender, helo: "helo.example.org",
                                                       receiver: "mx.tsubame.test")
    }

    @Test func failedPTRLookupMakesNoMatchInsteadOfTemperror() async {
        // RFC 7208 §5.5: "If a DNS error occurs while doing the PTR RR lookup, then this
        // mechanism fails to match." (pyspf answers temperror here.)
        var zone = ZoneDNS()
        zone.txt["example.com"] = ["v=spf1 ptr ?all"]
        zone.failing = ["192.0.2.10"]
        let outcome = await check(zone, sender: "a@example.com")
        #expect(outcome.result == .neutral)
    }

    @Test func skipsAPTRNameWhoseAddressLookupFails() async {
        var zone = ZoneDNS()
        zone.txt["example.com"] = ["v=spf1 ptr -all"]
        zone.ptr["192.0.2.10"] = ["broken.example.com", "mail.example.com"]
        zone.failing = ["broken.example.com"]
        zone.a["mail.example.com"] = ["192.0.2.10"]
        #expect(await check(zone, sender: "a@example.com").result == .pass)
    }

    @Test func validatesPTRNamesByTheirForwardAddresses() async {
        var zone = ZoneDNS()
        zone.txt["example.com"] = ["v=spf1 ptr -all"]
        zone.ptr["192.0.2.10"] = ["mail.example.com"]
        zone.a["mail.example.com"] = ["192.0.2.99"]
        #expect(await check(zone, sender: "a@example.com").result == .fail)
    }

    @Test func givesTheExpandedExplanationOnlyOnFail() async {
        var zone = ZoneDNS()
        zone.txt["example.com"] = ["v=spf1 -ip4:192.0.2.10 ~all exp=explain.example.com"]
        zone.txt["explain.example.com"] = ["%{i} may not send for %{d} (see %{r})"]
        let failed = await check(zone, sender: "a@example.com")
        #expect(failed.result == .fail)
        #expect(failed.explanation == "192.0.2.10 may not send for example.com (see mx.tsubame.test)")
        #expect(failed.reason == "matched -ip4:192.0.2.10")
        let softfailed = await check(zone, ip: "192.0.2.11", sender: "a@example.com")
        #expect(softfailed.result == .softfail)
        #expect(softfailed.explanation == nil)
    }

    @Test func ignoresTheExplanationOfAnIncludedRecordButKeepsARedirectTargets() async {
        var zone = ZoneDNS()
        zone.txt["inc.example.com"] = ["v=spf1 include:fails.example.com -all exp=outer.example.com"]
        zone.txt["red.example.com"] = ["v=spf1 redirect=fails.example.com exp=outer.example.com"]
        zone.txt["fails.example.com"] = ["v=spf1 -all exp=inner.example.com"]
        zone.txt["outer.example.com"] = ["outer"]
        zone.txt["inner.example.com"] = ["inner"]
        #expect(await check(zone, sender: "a@inc.example.com").explanation == "outer")
        #expect(await check(zone, sender: "a@red.example.com").explanation == "inner")
    }

    @Test func dropsAnExplanationWithSeveralRecordsOrBadMacros() async {
        var zone = ZoneDNS()
        zone.txt["a.example.com"] = ["v=spf1 -all exp=two.example.com"]
        zone.txt["b.example.com"] = ["v=spf1 -all exp=bad.example.com"]
        zone.txt["two.example.com"] = ["one", "two"]
        zone.txt["bad.example.com"] = ["%{z}"]
        let several = await check(zone, sender: "x@a.example.com")
        #expect(several.result == .fail)
        #expect(several.explanation == nil)
        #expect(await check(zone, sender: "x@b.example.com").explanation == nil)
    }

    @Test func reportsWhyForEachErrorResult() async {
        var zone = ZoneDNS()
        zone.txt["two.example.com"] = ["v=spf1 -all", "v=spf1 +all"]
        zone.txt["syntax.example.com"] = ["v=spf1 ip4:bad -all"]
        zone.txt["inc.example.com"] = ["v=spf1 include:failing.example.com -all"]
        zone.failing = ["failing.example.com"]
        #expect(await check(zone, sender: "a@two.example.com").reason == "two.example.com has 2 SPF records")
        #expect(await check(zone, sender: "a@syntax.example.com").reason.hasPrefix("syntax error in the SPF record"))
        let temporary = await check(zone, sender: "a@inc.example.com")
        #expect(temporary.result == .temperror)
        #expect(temporary.reason.contains("failing.example.com"))
        #expect(await check(zone, sender: "a@nowhere.example.com").reason == "no SPF record at nowhere.example.com")
    }

    @Test func answersNoneForADomainThatIsNotAFullyQualifiedName() async {
        let outcome = await SPFEvaluator(dns: ZoneDNS()).checkHost(clientIP: "192.0.2.1", domain: "localhost",
                                                                   sender: "a@localhost", helo: "h", receiver: "r")
        #expect(outcome.result == .none)
    }

    @Test func refusesMoreThanTenMXNames() async {
        var zone = ZoneDNS()
        zone.txt["example.com"] = ["v=spf1 mx -all"]
        zone.mx["example.com"] = (1...11).map { "\($0) mx\($0).example.com" }
        #expect(await check(zone, sender: "a@example.com").result == .permerror)
    }

    @Test func resolvesThePMacroToAValidatedName() async {
        var zone = ZoneDNS()
        zone.txt["example.com"] = ["v=spf1 exists:%{p}.allowed.example.com -all"]
        zone.ptr["192.0.2.10"] = ["mail.example.com"]
        zone.a["mail.example.com"] = ["192.0.2.10"]
        zone.a["mail.example.com.allowed.example.com"] = ["127.0.0.2"]
        #expect(await check(zone, sender: "a@example.com").result == .pass)
    }
}
