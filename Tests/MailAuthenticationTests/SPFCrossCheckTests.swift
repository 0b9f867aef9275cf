import PythonPeers
import Foundation
import MailAuthentication
import Testing

/// Tsubame's check_host() and pyspf's, on one table, over a real fake DNS server (dnslib):
/// both must give the result the table expects (RFC 7208's answer), and the same exp= text.
/// Where pyspf departs from the RFC the case lives in SPFEvaluatorTests instead, with the
/// RFC's answer: a failed PTR lookup (pyspf: temperror; §5.5: no match). pyspf also counts
/// redirect= toward the 10 lookups before the mechanisms run, so a record with 10 lookup
/// terms, a matching last one and a redirect differs; no case here has that shape.
@Suite(.serialized) struct SPFCrossCheckTests {
    struct Case: Sendable, CustomStringConvertible {
        var ip: String
        var sender: String
        var helo = "helo.spf.test"
        var expected: SPFResult
        var explanation: String? = nil
        var description: String { "\(sender) from \(ip)" }
        var domain: String { String(sender[sender.index(after: sender.lastIndex(of: "@")!)...]) }
    }

    static let client = "192.0.2.10"
    static let client6 = "2001:db8::10"

    static let zone = """
        ip4.spf.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
        ip4miss.spf.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
        soft.spf.test. 300 IN TXT "v=spf1 ip4:198.51.100.1 ~all"
        neutral.spf.test. 300 IN TXT "v=spf1 ?all"
        plus.spf.test. 300 IN TXT "v=spf1 +all"
        empty.spf.test. 300 IN TXT "v=spf1"
        other.spf.test. 300 IN TXT "site-verification=abc"
        upper.spf.test. 300 IN TXT "V=SPF1 IP4:192.0.2.10 -ALL"
        spf10.spf.test. 300 IN TXT "v=spf10 +all"
        two.spf.test. 300 IN TXT "v=spf1 +all"
        two.spf.test. 300 IN TXT "v=spf1 -all"
        twotxt.spf.test. 300 IN TXT "v=spf1 ip4:192.0.2.10 -all"
        twotxt.spf.test. 300 IN TXT "not spf"
        split.spf.test. 300 IN TXT "v=spf1 ip4:192.0.2.10" " -all"
        cidr0.spf.test. 300 IN TXT "v=spf1 ip4:0.0.0.0/0 -all"
        a.spf.test. 300 IN TXT "v=spf1 a -all"
        a.spf.test. 300 IN A 192.0.2.10
        acidr.spf.test. 300 IN TXT "v=spf1 a:host.spf.test/24 -all"
        acidrmiss.spf.test. 300 IN TXT "v=spf1 a:host.spf.test/30 -all"
        adot.spf.test. 300 IN TXT "v=spf1 a:host.spf.test./24 -all"
        a6.spf.test. 300 IN TXT "v=spf1 a:host.spf.test//64 -all"
        a6miss.spf.test. 300 IN TXT "v=spf1 a:host.spf.test -all"
        host.spf.test. 300 IN A 192.0.2.200
        host.spf.test. 300 IN AAAA 2001:db8::200
        mx.spf.test. 300 IN TXT "v=spf1 mx -all"
        mx.spf.test. 300 IN MX 10 mx1.spf.test.
        mx.spf.test. 300 IN MX 20 mx2.spf.test.
        mx1.spf.test. 300 IN A 192.0.2.99
        mx2.spf.test. 300 IN A 192.0.2.10
        mxcidr.spf.test. 300 IN TXT "v=spf1 mx:mx.spf.test/24 -all"
        mxnone.spf.test. 300 IN TXT "v=spf1 mx -all"
        mx11.spf.test. 300 IN TXT "v=spf1 mx -all"
        \((1...11).map { "mx11.spf.test. 300 IN MX \($0) m\($0).spf.test." }.joined(separator: "\n"))
        ptr.spf.test. 300 IN TXT "v=spf1 ptr -all"
        ptrother.spf.test. 300 IN TXT "v=spf1 ptr:example.org -all"
        10.2.0.192.in-addr.arpa. 300 IN PTR mail.ptr.spf.test.
        mail.ptr.spf.test. 300 IN A 192.0.2.10
        exists.spf.test. 300 IN TXT "v=spf1 exists:%{i}.ex.spf.test -all"
        192.0.2.10.ex.spf.test. 300 IN A 127.0.0.2
        include.spf.test. 300 IN TXT "v=spf1 include:ip4.spf.test -all"
        incmiss.spf.test. 300 IN TXT "v=spf1 include:ip4miss.spf.test ?all"
        nested.spf.test. 300 IN TXT "v=spf1 include:include.spf.test -all"
        incnone.spf.test. 300 IN TXT "v=spf1 include:other.spf.test -all"
        incnx.spf.test. 300 IN TXT "v=spf1 include:nowhere.spf.test -all"
        inctemp.spf.test. 300 IN TXT "v=spf1 include:servfail.spf.test -all"
        incsyntax.spf.test. 300 IN TXT "v=spf1 include:bad.spf.test -all"
        bad.spf.test. 300 IN TXT "v=spf1 ip4:192.0.2.300 -all"
        redirect.spf.test. 300 IN TXT "v=spf1 redirect=ip4.spf.test"
        rednone.spf.test. 300 IN TXT "v=spf1 redirect=other.spf.test"
        redall.spf.test. 300 IN TXT "v=spf1 -all redirect=plus.spf.test"
        dupredirect.spf.test. 300 IN TXT "v=spf1 redirect=ip4.spf.test redirect=plus.spf.test"
        exp.spf.test. 300 IN TXT "v=spf1 -all exp=explain.spf.test"
        expsoft.spf.test. 300 IN TXT "v=spf1 ~all exp=explain.spf.test"
        explain.spf.test. 300 IN TXT "%{i} is not one of %{d}'s designated mail servers."
        lp.spf.test. 300 IN TXT "v=spf1 exists:%{l1r-}.lp.spf.test -all"
        strong.lp.spf.test. 300 IN A 127.0.0.2
        irv.spf.test. 300 IN TXT "v=spf1 exists:%{ir}.%{v}.rev.spf.test -all"
        10.2.0.192.in-addr.rev.spf.test. 300 IN A 127.0.0.2
        0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.rev.spf.test. 300 IN A 127.0.0.2
        sub.d2.spf.test. 300 IN TXT "v=spf1 exists:%{d2}.dom.spf.test -all"
        spf.test.dom.spf.test. 300 IN A 127.0.0.2
        hmacro.spf.test. 300 IN TXT "v=spf1 exists:%{h}.helo.spf.test -all"
        good.example.helo.spf.test. 300 IN A 127.0.0.2
        upmacro.spf.test. 300 IN TXT "v=spf1 exists:%{L}.up.spf.test -all"
        a%2Bb.up.spf.test. 300 IN A 127.0.0.2
        redmacro.spf.test. 300 IN TXT "v=spf1 redirect=%{l}.spf.test"
        unknownmod.spf.test. 300 IN TXT "v=spf1 foo=bar ip4:192.0.2.0/24 -all"
        syntax1.spf.test. 300 IN TXT "v=spf1 foo -all"
        syntax2.spf.test. 300 IN TXT "v=spf1 a/33 -all"
        syntax3.spf.test. 300 IN TXT "v=spf1 ip4:192.0.2.10 -all bogus:x"
        syntax4.spf.test. 300 IN TXT "v=spf1 exists:%{z}.x.spf.test -all"
        syntax5.spf.test. 300 IN TXT "v=spf1 include -all"
        limit10.spf.test. 300 IN TXT "v=spf1 \((1...10).map { "include:n\($0).spf.test" }.joined(separator: " ")) -all"
        limit11.spf.test. 300 IN TXT "v=spf1 \((1...11).map { "include:n\($0).spf.test" }.joined(separator: " ")) -all"
        \((1...11).map { "n\($0).spf.test. 300 IN TXT \"v=spf1 ?all\"" }.joined(separator: "\n"))
        loop.spf.test. 300 IN TXT "v=spf1 include:loop.spf.test -all"
        void2.spf.test. 300 IN TXT "v=spf1 a:v1.spf.test a:v2.spf.test -all"
        void3.spf.test. 300 IN TXT "v=spf1 a:v1.spf.test a:v2.spf.test a:v3.spf.test -all"
        voidexists.spf.test. 300 IN TXT "v=spf1 exists:e1.spf.test exists:e2.spf.test exists:e3.spf.test +all"
        ip6.spf.test. 300 IN TXT "v=spf1 ip6:2001:db8::/32 -all"
        """

    static let cases: [Case] = [
        Case(ip: client, sender: "a@ip4.spf.test", expected: .pass),
        Case(ip: client, sender: "a@ip4miss.spf.test", expected: .fail),
        Case(ip: client, sender: "a@soft.spf.test", expected: .softfail),
        Case(ip: client, sender: "a@neutral.spf.test", expected: .neutral),
        Case(ip: client, sender: "a@plus.spf.test", expected: .pass),
        Case(ip: client, sender: "a@empty.spf.test", expected: .neutral),          // §4.7: nothing matched
        Case(ip: client, sender: "a@other.spf.test", expected: .none),             // §4.5: no v=spf1 record
        Case(ip: client, sender: "a@nowhere.spf.test", expected: .none),           // NXDOMAIN
        Case(ip: client, sender: "a@upper.spf.test", expected: .pass),             // case-insensitive
        Case(ip: client, sender: "a@spf10.spf.test", expected: .none),             // "v=spf10" is not a record
        Case(ip: client, sender: "a@two.spf.test", expected: .permerror),          // §4.5: several records
        Case(ip: client, sender: "a@twotxt.spf.test", expected: .pass),
        Case(ip: client, sender: "a@split.spf.test", expected: .pass),             // §3.3: strings joined
        Case(ip: client, sender: "a@cidr0.spf.test", expected: .pass),
        Case(ip: client, sender: "a@a.spf.test", expected: .pass),
        Case(ip: client, sender: "a@acidr.spf.test", expected: .pass),
        Case(ip: client, sender: "a@acidrmiss.spf.test", expected: .fail),
        Case(ip: client, sender: "a@adot.spf.test", expected: .pass),
        Case(ip: client6, sender: "a@a6.spf.test", expected: .pass),               // AAAA for an IPv6 client
        Case(ip: client6, sender: "a@a6miss.spf.test", expected: .fail),
        Case(ip: client, sender: "a@mx.spf.test", expected: .pass),
        Case(ip: "192.0.2.50", sender: "a@mx.spf.test", expected: .fail),
        Case(ip: "192.0.2.50", sender: "a@mxcidr.spf.test", expected: .pass),
        Case(ip: client, sender: "a@mxnone.spf.test", expected: .fail),
        Case(ip: client, sender: "a@mx11.spf.test", expected: .permerror),         // §4.6.4: over 10 MX names
        Case(ip: client, sender: "a@ptr.spf.test", expected: .pass),
        Case(ip: client, sender: "a@ptrother.spf.test", expected: .fail),
        Case(ip: "192.0.2.11", sender: "a@ptr.spf.test", expected: .fail),
        Case(ip: client, sender: "a@exists.spf.test", expected: .pass),
        Case(ip: "192.0.2.11", sender: "a@exists.spf.test", expected: .fail),
        Case(ip: client, sender: "a@include.spf.test", expected: .pass),
        Case(ip: client, sender: "a@incmiss.spf.test", expected: .neutral),       // §5.2: an included fail does not match
        Case(ip: client, sender: "a@nested.spf.test", expected: .pass),
        Case(ip: "198.51.100.7", sender: "a@nested.spf.test", expected: .fail),
        Case(ip: client, sender: "a@incnone.spf.test", expected: .permerror),      // §5.2: include of none
        Case(ip: client, sender: "a@incnx.spf.test", expected: .permerror),
        Case(ip: client, sender: "a@inctemp.spf.test", expected: .temperror),      // SERVFAIL under include
        Case(ip: client, sender: "a@servfail.spf.test", expected: .temperror),
        Case(ip: client, sender: "a@incsyntax.spf.test", expected: .permerror),
        Case(ip: client, sender: "a@redirect.spf.test", expected: .pass),
        Case(ip: "198.51.100.7", sender: "a@redirect.spf.test", expected: .fail),
        Case(ip: client, sender: "a@rednone.spf.test", expected: .permerror),      // §6.1
        Case(ip: client, sender: "a@redall.spf.test", expected: .fail),           // all before redirect wins
        Case(ip: client, sender: "a@dupredirect.spf.test", expected: .permerror),
        Case(ip: client, sender: "a@exp.spf.test", expected: .fail,
             explanation: "192.0.2.10 is not one of exp.spf.test's designated mail servers."),
        Case(ip: client, sender: "a@expsoft.spf.test", expected: .softfail),
        Case(ip: client, sender: "strong-bad@lp.spf.test", expected: .pass),       // %{l1r-}
        Case(ip: client, sender: "a@irv.spf.test", expected: .pass),               // %{ir}.%{v}
        Case(ip: client6, sender: "a@irv.spf.test", expected: .pass),              // nibbles and "ip6"
        Case(ip: client, sender: "a@sub.d2.spf.test", expected: .pass),            // %{d2}
        Case(ip: client, sender: "a@hmacro.spf.test", helo: "good.example", expected: .pass),
        Case(ip: client, sender: "a@hmacro.spf.test", helo: "bad.example", expected: .fail),
        Case(ip: client, sender: "a+b@upmacro.spf.test", expected: .pass),         // upper case: URL-escaped
        Case(ip: client, sender: "ab@upmacro.spf.test", expected: .fail),
        Case(ip: client, sender: "ip4@redmacro.spf.test", expected: .pass),        // a macro in redirect=
        Case(ip: client, sender: "ip4miss@redmacro.spf.test", expected: .fail),
        Case(ip: client, sender: "a@unknownmod.spf.test", expected: .pass),        // §6: unknown modifiers ignored
        Case(ip: client, sender: "a@syntax1.spf.test", expected: .permerror),
        Case(ip: client, sender: "a@syntax2.spf.test", expected: .permerror),
        Case(ip: client, sender: "a@syntax3.spf.test", expected: .permerror),      // §4.6: error after a match
        Case(ip: client, sender: "a@syntax4.spf.test", expected: .permerror),
        Case(ip: client, sender: "a@syntax5.spf.test", expected: .permerror),
        Case(ip: client, sender: "a@limit10.spf.test", expected: .fail),           // 10 lookups: allowed
        Case(ip: client, sender: "a@limit11.spf.test", expected: .permerror),      // §4.6.4: the 11th
        Case(ip: client, sender: "a@loop.spf.test", expected: .permerror),         // a loop ends at the limit
        Case(ip: client, sender: "a@void2.spf.test", expected: .fail),             // 2 void lookups: allowed
        Case(ip: client, sender: "a@void3.spf.test", expected: .permerror),        // §4.6.4: the 3rd
        Case(ip: client, sender: "a@voidexists.spf.test", expected: .permerror),
        Case(ip: client6, sender: "a@ip6.spf.test", expected: .pass),
        Case(ip: client, sender: "a@ip6.spf.test", expected: .fail),               // ip6 never matches IPv4
        Case(ip: client6, sender: "a@ip4.spf.test", expected: .fail),              // nor ip4 IPv6
        Case(ip: "::ffff:192.0.2.10", sender: "a@ip4.spf.test", expected: .pass),  // mapped IPv4
        Case(ip: client, sender: "postmaster@ip4.spf.test", helo: "ip4.spf.test", expected: .pass),
    ]

    struct PySPFAnswer: Decodable {
        var result: String
        var explanation: String
    }

    @Test func tsubameAndPySPFAgreeWithTheRFCOnEveryCase() async throws {
        let server = try FakeDNSServer(zone: Self.zone)
        let resolver = try server.resolver()
        let evaluator = SPFEvaluator(dns: resolver)
        var ours: [SPFOutcome] = []
        for item in Self.cases {
            ours.append(await evaluator.checkHost(clientIP: item.ip, domain: item.domain, sender: item.sender, helo: item.helo,
                                                  receiver: "mx.tsubame.test"))
        }
        let request: [String: Any] = [
            "port": server.port,
            "cases": Self.cases.map { ["i": $0.ip, "s": $0.sender, "h": $0.helo] },
        ]
        let output = try runPythonScript("spf_pyspf_check.py", input: try JSONSerialization.data(withJSONObject: request))
        let theirs = try JSONDecoder().decode([PySPFAnswer].self, from: output)
        try #require(theirs.count == Self.cases.count)
        for (index, item) in Self.cases.enumerated() {
            #expect(ours[index].result == item.expected, "Tsubame, \(item): \(ours[index].reason)")
            #expect(theirs[index].result == item.expected.rawValue, "pyspf, \(item): \(theirs[index].explanation)")
            if let explanation = item.explanation {
                #expect(ours[index].explanation == explanation, "\(item)")
                #expect(theirs[index].explanation == explanation, "pyspf, \(item)")
            }
        }
    }
}
