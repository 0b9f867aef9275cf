import Testing
import DeliveryReports

/// RFC 6533: a message that needed SMTPUTF8 gets the "global" media types and utf-8 addresses.
@Suite("Delivery reports: SMTPUTF8 (RFC 6533)")
struct InternationalReportTests {
    let original = Array("From: Jörg <jörg@tsubame.test>\nTo: 小林 <小林@例え.jp>\nSubject: こんにちは\n\n本文\n".utf8)

    @Test func smtputf8MessageGetsGlobalMediaTypesAndUTF8Addresses() {
        let report = Fixture.builder().report(
            envelope: Fixture.envelope(reversePath: "jörg@tsubame.test", smtputf8: true),
            outcomes: [Fixture.failed("小林@例え.jp", reply: "5.1.1 ユーザー不明")],
            originalMessage: original)!
        let anatomy = ReportAnatomy(report)
        #expect(anatomy.header["content-type"] == "multipart/report; report-type=delivery-status; boundary=\"=_T0KEN\"")
        #expect(anatomy.parts.map { $0.header["content-type"] ?? "" } == [
            "text/plain; charset=utf-8", "message/global-delivery-status", "message/global",
        ])
        #expect(anatomy.parts[1].body.contains("Final-Recipient: utf-8; 小林@例え.jp\n"))
        #expect(anatomy.parts[1].body.contains("Diagnostic-Code: smtp; 550 5.1.1 ユーザー不明\n"))
        #expect(anatomy.header["to"] == "<jörg@tsubame.test>")
        #expect(report.requiresSMTPUTF8 && report.requires8BitMIME)
    }

    @Test func humanTextWithUTF8IsQuotedPrintable() {
        let report = Fixture.builder().report(
            envelope: Fixture.envelope(reversePath: "jörg@tsubame.test", smtputf8: true),
            outcomes: [Fixture.failed("小林@例え.jp")], originalMessage: original)!
        let part = ReportAnatomy(report).parts[0]
        #expect(part.header["content-transfer-encoding"] == "quoted-printable")
        #expect(part.body.contains("<=E5=B0=8F=E6=9E=97@"))
        #expect(part.body.utf8.allSatisfy { $0 < 0x80 })
        #expect(part.body.split(separator: "\n").allSatisfy { $0.utf8.count <= 76 })
    }

    @Test func globalHeadersOnlyWithRetHdrs() {
        let report = Fixture.builder().report(
            envelope: Fixture.envelope(reversePath: "jörg@tsubame.test", returnContent: .headers, smtputf8: true),
            outcomes: [Fixture.failed("小林@例え.jp")], originalMessage: original)!
        #expect(ReportAnatomy(report).parts[2].header["content-type"] == "message/global-headers")
        #expect(!ReportAnatomy(report).parts[2].body.contains("本文"))
    }

    @Test func nonASCIIAddressInAnASCIIReportIsUTF8AddrXText() {
        var outcome = Fixture.failed("josé@remote.example")
        outcome.originalRecipient = OriginalRecipient(addressType: "utf-8", address: "José+x=y@remote.example")
        let report = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [outcome],
                                              originalMessage: Fixture.original)!
        let status = ReportAnatomy(report).parts[1].body
        #expect(status.contains("Original-Recipient: utf-8; Jos\\x{E9}\\x{2B}x\\x{3D}y@remote.example\n"))
        #expect(status.contains("Final-Recipient: utf-8; jos\\x{E9}@remote.example\n"))
        #expect(status.utf8.allSatisfy { $0 < 0x80 })
    }

    @Test func asciiORCPTKeepsItsTypeInAGlobalReport() {
        var outcome = Fixture.failed()
        outcome.originalRecipient = OriginalRecipient(addressType: "rfc822", address: "bob@remote.example")
        let report = Fixture.builder().report(envelope: Fixture.envelope(smtputf8: true), outcomes: [outcome],
                                              originalMessage: Fixture.original)!
        #expect(ReportAnatomy(report).parts[1].body.contains("Original-Recipient: rfc822; bob@remote.example\nFinal-Recipient: rfc822; bob@remote.example\n"))
    }
}
