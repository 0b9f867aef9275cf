import MailAuthentication
import Testing

/// RFC 7208 §4.5, §4.6, §5, §6: which texts are SPF records and how their terms parse.
@Suite struct SPFRecordParsingTests {
    @Test(arguments: [("v=spf1", true), ("v=spf1 -all", true), ("V=SPF1 -all", true), ("v=spf10 -all", false),
                      ("v=spf1-all", false), ("spf1", false), ("", false)])
    func recognisesTheVersionSection(text: String, isRecord: Bool) {
        #expect(SPFRecord.isSPFRecord(text) == isRecord)
    }

    @Test func parsesEveryMechanismWithQualifiersAndCIDRLengths() throws {
        let record = try SPFRecord(parsing:
            "v=spf1 +all -include:example.com ~a ?a:mail.example.com/24//64 mx/30 mx:example.org//48 ptr ptr:example.net "
            + "ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.x.example.com")
        #expect(record.directives.map(\.qualifier) == [.pass, .fail, .softfail, .neutral, .pass, .pass, .pass, .pass, .pass, .pass, .pass])
        guard case .a(let spec, let cidr) = record.directives[3].mechanism else { Issue.record("not a"); return }
        #expect(spec != nil)
        #expect(cidr == SPFCIDR(v4: 24, v6: 64))
        guard case .mx(nil, let mxCIDR) = record.directives[4].mechanism else { Issue.record("not mx"); return }
        #expect(mxCIDR == SPFCIDR(v4: 30, v6: 128))
        guard case .mx(_, let mxCIDR6) = record.directives[5].mechanism else { Issue.record("not mx"); return }
        #expect(mxCIDR6 == SPFCIDR(v4: 32, v6: 48))
        #expect(record.directives[8].mechanism == .ip4(SPFAddress("192.0.2.0")!, prefix: 24))
        #expect(record.directives[9].mechanism == .ip6(SPFAddress("2001:db8::")!, prefix: 32))
    }

    @Test func keepsRedirectAndExplanationAndIgnoresUnknownModifiers() throws {
        let record = try SPFRecord(parsing: "v=spf1 a foo=bar moo.cow-far_out=man:dog/cat redirect=_spf.example.com exp=exp.example.com")
        #expect(record.directives.count == 1)
        #expect(record.redirect != nil)
        #expect(record.explanation != nil)
    }

    @Test(arguments: [
        "v=spf1 foo",                        // unknown mechanism
        "v=spf1 all:x",                      // all takes no argument
        "v=spf1 include",                    // include needs a domain
        "v=spf1 include:",                   // empty domain
        "v=spf1 include:localhost",          // not a FQDN (domain-end)
        "v=spf1 a:192.0.2.1",                // all-numeric top label
        "v=spf1 ip4:192.0.2.300",
        "v=spf1 ip4:192.0.2.0/33",
        "v=spf1 ip4:192.0.2.0/024",          // leading zero in a CIDR length
        "v=spf1 ip6:2001:db8::/129",
        "v=spf1 ip6:2001:db8:::1",
        "v=spf1 a/33",
        "v=spf1 a//129",
        "v=spf1 exists:%{z}.example.com",
        "v=spf1 redirect=a.example.com redirect=b.example.com",
        "v=spf1 exp=a.example.com exp=b.example.com",
        "v=spf1 redirect=",
        "v=spf1 foo=%{q}",                   // an unknown modifier still needs a valid macro-string
        "v=spf1 -all é",
        "v=spf1 -all ip4",
    ])
    func refusesSyntaxErrors(text: String) {
        #expect(throws: SPFSyntaxError.self) { try SPFRecord(parsing: text) }
    }

    @Test func treatsAnIPv4MappedAddressAsIPv4() {
        #expect(SPFAddress("::ffff:192.0.2.1") == .v4([192, 0, 2, 1]))
        #expect(SPFAddress("::ffff:c000:201") == .v4([192, 0, 2, 1]))
        #expect(SPFAddress("2001:db8::1")?.octets.count == 16)
        #expect(SPFAddress("192.0.2") == nil)
        #expect(SPFAddress("1::2::3") == nil)
    }
}
