import Testing
import DeliveryReports

/// What of the original goes back: RET (RFC 3461 §4.3), the size cap, 8-bit content.
@Suite("Delivery reports: the returned message")
struct ReturnedContentTests {
    @Test func retHdrsReturnsOnlyTheHeaderAsTextRFC822Headers() {
        let report = Fixture.builder().report(envelope: Fixture.envelope(returnContent: .headers),
                                              outcomes: [Fixture.failed()], originalMessage: Fixture.original)!
        let anatomy = ReportAnatomy(report)
        #expect(report.returnedContent == .headersOnly(.senderAskedForHeaders))
        #expect(anatomy.parts[2].header["content-type"] == "text/rfc822-headers")
        #expect(!anatomy.parts[2].body.contains("Shall we meet"))
        #expect(anatomy.parts[2].body.hasPrefix("From: Alice <alice@tsubame.test>\n"))
        #expect(anatomy.parts[0].body.contains("as the sender asked (RET=HDRS)"))
    }

    @Test func messageOverTheLimitReturnsItsHeaderAndSaysSo() {
        let big = Fixture.original + Array(repeating: UInt8(ascii: "a"), count: 300 * 1024)
        let report = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [Fixture.failed()],
                                              originalMessage: big)!
        let anatomy = ReportAnatomy(report)
        #expect(report.returnedContent == .headersOnly(.messageTooLarge))
        #expect(anatomy.parts[2].header["content-type"] == "text/rfc822-headers")
        #expect(report.bytes.count < 4096)
        #expect(anatomy.parts[0].body.contains("larger than 256 KiB,\nso only its header is attached."))
    }

    @Test func messageAtTheLimitIsReturnedWhole() {
        let limits = DeliveryReportLimits(maximumReturnedMessageBytes: Fixture.original.count)
        let report = Fixture.builder(limits: limits).report(envelope: Fixture.envelope(), outcomes: [Fixture.failed()],
                                                            originalMessage: Fixture.original)!
        #expect(report.returnedContent == .fullMessage)
        let oneOver = Fixture.builder(limits: DeliveryReportLimits(maximumReturnedMessageBytes: Fixture.original.count - 1))
            .report(envelope: Fixture.envelope(), outcomes: [Fixture.failed()], originalMessage: Fixture.original)!
        #expect(oneOver.returnedContent == .headersOnly(.messageTooLarge))
    }

    @Test func hugeHeaderIsCutAtALineEndWithinTheLimit() {
        var message = ""
        for number in 0..<2000 { message += "X-Filler-\(number): \(String(repeating: "z", count: 60))\n" }
        message += "\nbody\n"
        let limits = DeliveryReportLimits(maximumReturnedMessageBytes: 10_000)
        let report = Fixture.builder(limits: limits).report(envelope: Fixture.envelope(), outcomes: [Fixture.failed()],
                                                            originalMessage: Array(message.utf8))!
        let anatomy = ReportAnatomy(report)
        let returned = anatomy.parts[2].body
        #expect(returned.utf8.count <= 10_000)
        #expect(returned.hasSuffix("\n") && returned.hasPrefix("X-Filler-0: "))
        #expect(anatomy.parts[0].body.contains("cut short"))
    }

    @Test func eightBitOriginalIsDeclaredEightBitAndNeedsEightBitMIME() {
        let original = Array("Subject: Grüße\nContent-Type: text/plain; charset=utf-8\n\nSchöne Grüße\n".utf8)
        let report = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [Fixture.failed()],
                                              originalMessage: original)!
        #expect(ReportAnatomy(report).parts[2].header["content-transfer-encoding"] == "8bit")
        #expect(report.requires8BitMIME)
        #expect(!report.requiresSMTPUTF8)
    }

    @Test func messageWithoutABodyIsAllHeader() {
        let original = Array("Subject: no body\nFrom: a@b.example\n".utf8)
        let report = Fixture.builder().report(envelope: Fixture.envelope(returnContent: .headers),
                                              outcomes: [Fixture.failed()], originalMessage: original)!
        #expect(ReportAnatomy(report).parts[2].body == "Subject: no body\nFrom: a@b.example\n")
    }
}
