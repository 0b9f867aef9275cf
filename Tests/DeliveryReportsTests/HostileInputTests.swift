import Testing
import DeliveryReports

/// Nothing a remote server says can change the report's structure (RFC 5322 §2.2: no CR/LF
/// in a field body; RFC 2046 §5.1.1: the boundary must not occur in the content).
@Suite("Delivery reports: hostile input")
struct HostileInputTests {
    static let injection = "5.1.1 gone\r\nX-Injected: yes\r\n\r\n--=_T0KEN\r\nContent-Type: text/html\n\n<b>hi</b>\u{0}\u{7F}"

    func report(reply: String, smtputf8: Bool = false, limits: DeliveryReportLimits = DeliveryReportLimits())
        -> DeliveryReport {
        Fixture.builder(limits: limits).report(envelope: Fixture.envelope(smtputf8: smtputf8),
                                               outcomes: [Fixture.failed(reply: reply)],
                                               originalMessage: Fixture.original)!
    }

    @Test func lineBreaksInTheReplyCannotAddFieldsOrParts() {
        let built = report(reply: Self.injection)
        let anatomy = ReportAnatomy(built)
        #expect(anatomy.parts.count == 3)
        #expect(anatomy.boundary != "=_T0KEN", "the reply contains the token, so the boundary must differ")
        let status = anatomy.parts[1].body
        #expect(!status.split(separator: "\n").contains { $0.hasPrefix("X-Injected") || $0.hasPrefix("--") })
        #expect(ReportAnatomy.fields(String(status.split(separator: "\n\n")[1]))["diagnostic-code"]
            == "smtp; 550 5.1.1 gone X-Injected: yes --=_T0KEN Content-Type: text/html <b>hi</b>")
        #expect(!built.bytes.contains(0x0D) && !built.bytes.contains(0) && !built.bytes.contains(0x7F))
    }

    @Test func nonASCIIInTheReplyBecomesQuestionMarksInAnASCIIReport() {
        let built = report(reply: "5.1.1 Benutzer unbekannt: müller\u{202E}")
        let status = ReportAnatomy(built).parts[1].body
        #expect(status.contains("Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: m?ller?\n"))
        #expect(ReportAnatomy(built).parts[1].body.utf8.allSatisfy { $0 < 0x80 })
    }

    @Test func nonASCIIInTheReplyIsKeptInAGlobalReportWithoutBidiControls() {
        let built = report(reply: "5.1.1 Benutzer unbekannt: müller\u{202E}", smtputf8: true)
        #expect(ReportAnatomy(built).parts[1].body.contains("Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: müller?\n"))
    }

    @Test func longReplyIsFoldedWithinSeventyEightColumnsAndBounded() {
        let words = Array(repeating: "blocked", count: 1000).joined(separator: " ")
        let status = ReportAnatomy(report(reply: words)).parts[1].body
        let lines = status.split(separator: "\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        let diagnostic = ReportAnatomy.fields(String(status.split(separator: "\n\n")[1]))["diagnostic-code"]!
        #expect(diagnostic.utf8.count <= "smtp; 550 ".utf8.count + 900)
        #expect(diagnostic.utf8.count > 800)
    }

    @Test func unbreakableReplyStaysUnderTheLineLimit() {
        let word = String(repeating: "x", count: 5000)
        let built = report(reply: word)
        let lines = String(decoding: built.bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        #expect(lines.contains { $0.utf8.count > 900 }, "the word is cut, not dropped")
    }

    @Test func headerFieldsOfTheReportCannotBeInjectedThroughAddressesOrHosts() {
        var outcome = Fixture.failed("bob@remote.example\nBcc: everyone@example")
        outcome.remoteMTA = "mx.example\r\nX-Evil: 1"
        let built = Fixture.builder().report(
            envelope: Fixture.envelope(reversePath: "alice@tsubame.test\nBcc: x@y", envelopeID: "id\nX-Id: 2"),
            outcomes: [outcome], originalMessage: Fixture.original)!
        let lines = String(decoding: built.bytes, as: UTF8.self).split(separator: "\n")
        for forbidden in ["Bcc:", "X-Evil:", "X-Id:"] {
            #expect(!lines.contains { $0.hasPrefix(forbidden) }, "\(forbidden)")
        }
        #expect(ReportAnatomy(built).header["to"] == "<alice@tsubame.test Bcc: x@y>")
    }

    @Test func boundaryAvoidsEveryVariantTheOriginalAlreadyContains() {
        // Someone who knows the token fills the message with it and numbered variants.
        var hostile = "Subject: guess\n\n"
        for number in 0..<12 { hostile += "--=_T0KEN.\(number)\n--=_T0KEN.0\(number)\n" }
        let built = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [Fixture.failed()],
                                             originalMessage: Array(hostile.utf8))!
        let anatomy = ReportAnatomy(built)
        #expect(!hostile.contains(anatomy.boundary))
        #expect(anatomy.boundary.hasPrefix("=_T0KEN."))
        #expect(anatomy.parts.count == 3)
        #expect(anatomy.parts[2].body == hostile)
    }

    @Test func tokenIsReducedToSafeBoundaryCharacters() {
        let built = Fixture.builder(token: "a\"b; c\nd").report(envelope: Fixture.envelope(),
                                                                 outcomes: [Fixture.failed()],
                                                                 originalMessage: Fixture.original)!
        #expect(ReportAnatomy(built).boundary == "=_abcd")
        #expect(built.messageID == "<abcd@mx.tsubame.test>")
    }
}
