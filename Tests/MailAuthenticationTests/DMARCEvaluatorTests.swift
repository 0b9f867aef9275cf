import Foundation
import MailAuthentication
import Testing

/// RFC 7489 §6.6: record discovery, alignment, policy choice and pct= sampling.
@Suite struct DMARCEvaluatorTests {
    static let suffixes = PublicSuffixList(text: "com\nuk\nco.uk\norg\n")

    func spf(_ result: SPFResult, _ domain: String) -> SPFOutcome {
        SPFOutcome(result: result, domain: domain, reason: "test")
    }

    func dkim(_ result: DKIMVerification.Result, _ domain: String) -> DKIMVerification {
        DKIMVerification(result: result, domain: domain, selector: "s1", algorithm: "rsa-sha256")
    }

    func evaluate(_ zone: ZoneDNS, from: String?, spf: SPFOutcome, dkim: [DKIMVerification] = [],
                  roll: Int = 0, suffixes: PublicSuffixList = suffixes) async -> DMARCOutcome {
        await DMARCEvaluator(dns: zone, publicSuffixes: suffixes).evaluate(fromDomain: from, spf: spf, dkim: dkim, percentRoll: roll)
    }

    func zone(_ records: [String: String]) -> ZoneDNS {
        var zone = ZoneDNS()
        for (name, text) in records { zone.txt[name] = [text] }
        return zone
    }

    struct AlignmentCase: Sendable, CustomStringConvertible {
        var record: String
        var spf: SPFOutcome
        var dkim: [DKIMVerification]
        var expected: DMARCResult
        var description: String { "\(record) spf=\(spf.result.rawValue)/\(spf.domain) dkim=\(dkim.map { "\($0.result.rawValue)/\($0.domain)" })" }
    }

    static func spfOf(_ result: SPFResult, _ domain: String) -> SPFOutcome { SPFOutcome(result: result, domain: domain, reason: "") }
    static func dkimOf(_ result: DKIMVerification.Result, _ domain: String) -> DKIMVerification {
        DKIMVerification(result: result, domain: domain, selector: "s", algorithm: "ed25519-sha256")
    }

    static let alignmentCases: [AlignmentCase] = [
        // SPF only.
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.pass, "example.com"), dkim: [], expected: .pass),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.pass, "bounce.example.com"), dkim: [], expected: .pass),
        AlignmentCase(record: "v=DMARC1; p=reject; aspf=s", spf: spfOf(.pass, "bounce.example.com"), dkim: [], expected: .fail),
        AlignmentCase(record: "v=DMARC1; p=reject; aspf=s", spf: spfOf(.pass, "mail.example.com"), dkim: [], expected: .pass),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.pass, "example.net"), dkim: [], expected: .fail),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.softfail, "example.com"), dkim: [], expected: .fail),
        // DKIM only.
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.fail, "example.net"), dkim: [dkimOf(.pass, "example.com")], expected: .pass),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.none, "example.net"), dkim: [dkimOf(.pass, "EXAMPLE.com")], expected: .pass),
        AlignmentCase(record: "v=DMARC1; p=reject; adkim=s", spf: spfOf(.none, "example.net"), dkim: [dkimOf(.pass, "example.com")], expected: .fail),
        AlignmentCase(record: "v=DMARC1; p=reject; adkim=s", spf: spfOf(.none, "example.net"), dkim: [dkimOf(.pass, "mail.example.com")], expected: .pass),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.none, "example.net"), dkim: [dkimOf(.fail, "example.com")], expected: .fail),
        // A pass that is not aligned is a fail; one aligned pass among others is enough.
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.pass, "example.net"), dkim: [dkimOf(.pass, "example.org")], expected: .fail),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.fail, "example.net"),
                      dkim: [dkimOf(.pass, "example.org"), dkimOf(.fail, "example.com"), dkimOf(.pass, "mail.example.com")], expected: .pass),
        // A temporary error of an aligned identifier could still become a pass.
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.temperror, "example.com"), dkim: [], expected: .temperror),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.fail, "example.net"), dkim: [dkimOf(.temperror, "example.com")], expected: .temperror),
        AlignmentCase(record: "v=DMARC1; p=reject", spf: spfOf(.temperror, "example.net"), dkim: [], expected: .fail),
    ]

    @Test(arguments: alignmentCases)
    func decidesPassOrFailByAlignment(item: AlignmentCase) async {
        let outcome = await evaluate(zone(["_dmarc.mail.example.com": item.record]), from: "mail.example.com", spf: item.spf, dkim: item.dkim)
        #expect(outcome.result == item.expected, "\(outcome.reason)")
    }

    @Test func usesSubdomainPolicyForASubdomainFoundAtTheOrganizationalDomain() async {
        let records = zone(["_dmarc.example.com": "v=DMARC1; p=reject; sp=quarantine"])
        let sub = await evaluate(records, from: "news.example.com", spf: spf(.fail, "example.net"))
        #expect(sub.result == .fail)
        #expect(sub.policy == .quarantine)
        let top = await evaluate(records, from: "example.com", spf: spf(.fail, "example.net"))
        #expect(top.policy == .reject)
        let noSP = await evaluate(zone(["_dmarc.example.com": "v=DMARC1; p=reject"]), from: "news.example.com", spf: spf(.fail, "x.net"))
        #expect(noSP.policy == .reject)
    }

    @Test func prefersTheFromDomainsOwnRecord() async {
        let records = zone(["_dmarc.example.com": "v=DMARC1; p=reject", "_dmarc.news.example.com": "v=DMARC1; p=none; sp=reject"])
        let outcome = await evaluate(records, from: "news.example.com", spf: spf(.fail, "example.net"))
        #expect(outcome.policy == DMARCPolicy.none)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: PublicSuffixList.standardPaths[0])))
    func findsTheOrganizationalDomainThroughDebiansList() async {
        let records = zone(["_dmarc.example.co.uk": "v=DMARC1; p=quarantine"])
        let outcome = await evaluate(records, from: "a.b.example.co.uk", spf: spf(.pass, "example.co.uk"), suffixes: .load())
        #expect(outcome.result == .pass)
        #expect(outcome.requestedPolicy == .quarantine)
    }

    @Test(arguments: [(0, DMARCPolicy.reject), (49, .reject), (50, .quarantine), (99, .quarantine)])
    func samplesWithPctAndDowngradesOutsideTheSample(roll: Int, expected: DMARCPolicy) async {
        let outcome = await evaluate(zone(["_dmarc.example.com": "v=DMARC1; p=reject; pct=50"]), from: "example.com",
                                     spf: spf(.fail, "example.net"), roll: roll)
        #expect(outcome.policy == expected)
        #expect(outcome.requestedPolicy == .reject)
    }

    @Test func pctZeroTurnsQuarantineIntoNone() async {
        let outcome = await evaluate(zone(["_dmarc.example.com": "v=DMARC1; p=quarantine; pct=0"]), from: "example.com",
                                     spf: spf(.fail, "example.net"), roll: 0)
        #expect(outcome.policy == DMARCPolicy.none)
        #expect(outcome.requestedPolicy == .quarantine)
    }

    @Test func answersNoneWithoutARecordOrWithSeveral() async {
        let nothing = await evaluate(ZoneDNS(), from: "example.com", spf: spf(.fail, "example.com"))
        #expect(nothing.result == DMARCResult.none)
        #expect(nothing.policy == nil)
        var several = ZoneDNS()
        several.txt["_dmarc.example.com"] = ["v=DMARC1; p=reject", "v=DMARC1; p=none"]
        #expect(await evaluate(several, from: "example.com", spf: spf(.fail, "example.com")).result == DMARCResult.none)
        var unrelated = ZoneDNS()
        unrelated.txt["_dmarc.example.com"] = ["v=spf1 -all", "v=DMARC1; p=reject"]
        #expect(await evaluate(unrelated, from: "example.com", spf: spf(.fail, "x.net")).policy == .reject)
    }

    @Test func treatsARecordWithoutValidPolicyAsNoneOrAsPNoneWithReports() async {
        // RFC 7489 §6.6.3 step 6.
        let withoutRUA = await evaluate(zone(["_dmarc.example.com": "v=DMARC1; p=bogus"]), from: "example.com", spf: spf(.fail, "x.net"))
        #expect(withoutRUA.result == DMARCResult.none)
        let withRUA = await evaluate(zone(["_dmarc.example.com": "v=DMARC1; rua=mailto:dmarc@example.com"]), from: "example.com",
                                     spf: spf(.fail, "x.net"))
        #expect(withRUA.result == .fail)
        #expect(withRUA.policy == DMARCPolicy.none)
    }

    @Test func needsVDMARC1FirstAndExactly() async {
        for text in ["p=reject; v=DMARC1", "v=dmarc1; p=reject", "v=DMARC2; p=reject"] {
            let outcome = await evaluate(zone(["_dmarc.example.com": text]), from: "example.com", spf: spf(.fail, "x.net"))
            #expect(outcome.result == DMARCResult.none, "\(text)")
        }
    }

    @Test func toleratesBadOptionalTagsAndUnknownOnes() {
        let record = DMARCRecord(parsing: "v=DMARC1 ; p = Reject ; pct=abc; adkim=x; aspf=s; fo=1; rua=mailto:a@example.com!10m, mailto:b@example.com; zz=top")
        #expect(record?.policy == .reject)
        #expect(record?.percent == 100)
        #expect(record?.dkimAlignment == .relaxed)
        #expect(record?.spfAlignment == .strict)
        #expect(record?.aggregateReportURIs == ["mailto:a@example.com", "mailto:b@example.com"])
    }

    @Test func answersTemperrorWhenTheRecordLookupFails() async {
        var failing = ZoneDNS()
        failing.failing = ["_dmarc.mail.example.com"]
        #expect(await evaluate(failing, from: "mail.example.com", spf: spf(.pass, "example.com")).result == .temperror)
        var orgFailing = ZoneDNS()
        orgFailing.failing = ["_dmarc.example.com"]
        #expect(await evaluate(orgFailing, from: "mail.example.com", spf: spf(.pass, "example.com")).result == .temperror)
    }

    @Test func answersPermerrorWithoutASingleFromDomain() async {
        let outcome = await evaluate(zone(["_dmarc.example.com": "v=DMARC1; p=reject"]), from: nil, spf: spf(.pass, "example.com"))
        #expect(outcome.result == .permerror)
        #expect(outcome.fromDomain == nil)
        #expect(outcome.reason.contains("From"))
    }
}
