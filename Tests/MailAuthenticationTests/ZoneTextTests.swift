import MailAuthentication
import Testing

@Suite("Zone text: lines to paste into a zone file")
struct ZoneTextTests {
    @Test func shortTextIsOneString() {
        #expect(ZoneText.txtStrings("v=spf1 mx -all") == ["v=spf1 mx -all"])
        #expect(ZoneText.txtStrings("") == [""])
    }

    @Test func longTextIsSplitIntoStringsOfAtMost255Octets() {
        let text = String(repeating: "a", count: 600)
        let strings = ZoneText.txtStrings(text)
        #expect(strings.map(\.utf8.count) == [255, 255, 90])
        #expect(strings.joined() == text)
        #expect(ZoneText.txtStrings(String(repeating: "b", count: 255)).count == 1)
    }

    @Test func splittingNeverCutsAUTF8Sequence() {
        let text = String(repeating: "a", count: 254) + "é" + "z"
        let strings = ZoneText.txtStrings(text)
        #expect(strings == [String(repeating: "a", count: 254), "éz"])
    }

    @Test func txtLineQuotesEachStringAndEndsTheNameWithADot() {
        #expect(ZoneText.txtLine(name: "example.com", ttl: 3600, text: "v=spf1 mx -all")
                == "example.com. 3600 IN TXT \"v=spf1 mx -all\"")
        #expect(ZoneText.txtLine(name: "_dmarc.example.com.", ttl: 300, text: "v=DMARC1; p=none")
                == "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=none\"")
        let long = ZoneText.txtLine(name: "s._domainkey.example.com", ttl: 3600, text: String(repeating: "x", count: 300))
        #expect(long == "s._domainkey.example.com. 3600 IN TXT \"\(String(repeating: "x", count: 255))\" \"\(String(repeating: "x", count: 45))\"")
    }

    @Test func quotesBackslashesAndControlsAreEscaped() {
        #expect(ZoneText.txtLine(name: "a.example", ttl: 60, text: "say \"hi\" \\ bye\u{7}")
                == "a.example. 60 IN TXT \"say \\\"hi\\\" \\\\ bye\\007\"")
    }

    @Test func givenStringsAreKept() {
        #expect(ZoneText.txtLine(name: "s._domainkey.example.com", ttl: 3600, strings: ["v=DKIM1; k=rsa; ", "p=AAAA"])
                == "s._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; \" \"p=AAAA\"")
    }

    @Test func otherTypes() {
        #expect(ZoneText.line(name: "example.com", ttl: 3600, type: "MX", data: "10 mx.example.com.")
                == "example.com. 3600 IN MX 10 mx.example.com.")
    }
}
