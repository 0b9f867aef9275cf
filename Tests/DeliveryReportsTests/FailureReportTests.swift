import Testing
import DeliveryReports

/// A bounce (RFC 3464) for one failed recipient: the message header, the three parts and the
/// exact delivery-status fields.
@Suite("Delivery reports: a failure")
struct FailureReportTests {
    let report = Fixture.builder().report(envelope: Fixture.envelope(envelopeID: "QQ314159"),
                                          outcomes: [Fixture.failed()], originalMessage: Fixture.original)!

    @Test func headerNamesTheMailerDaemonTheSenderAndMarksItAutomatic() {
        let anatomy = ReportAnatomy(report)
        #expect(anatomy.headerLines == [
            "From: Mail Delivery System <MAILER-DAEMON@mx.tsubame.test>",
            "To: <alice@tsubame.test>",
            "Subject: Undelivered Mail Returned to Sender",
            "Date: Fri, 15 Jan 2027 10:00:00 +0000",
            "Message-ID: <T0KEN@mx.tsubame.test>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-replied",
            "Content-Type: multipart/report; report-type=delivery-status;",
            " boundary=\"=_T0KEN\"",
        ])
    }

    @Test func isSentFromTheNullReversePathToTheOriginalSender() {
        #expect(report.envelopeSender == "")
        #expect(report.envelopeRecipient == "alice@tsubame.test")
        #expect(!report.requiresSMTPUTF8)
        #expect(!report.requires8BitMIME)
    }

    @Test func hasTextThenDeliveryStatusThenTheOriginalMessage() {
        let anatomy = ReportAnatomy(report)
        #expect(anatomy.parts.map { $0.header["content-type"] ?? "" } == [
            "text/plain; charset=utf-8", "message/delivery-status", "message/rfc822",
        ])
        #expect(anatomy.parts[2].body == String(decoding: Fixture.original, as: UTF8.self))
        #expect(report.returnedContent == .fullMessage)
        #expect(String(decoding: report.bytes, as: UTF8.self).hasSuffix("\n--=_T0KEN--\n"))
    }

    @Test func deliveryStatusHasExactlyTheRFC3464Fields() {
        let anatomy = ReportAnatomy(report)
        #expect(anatomy.parts[1].body == """
            Reporting-MTA: dns; mx.tsubame.test
            Original-Envelope-Id: QQ314159
            Arrival-Date: Fri, 15 Jan 2027 08:00:00 +0000

            Final-Recipient: rfc822; bob@remote.example
            Action: failed
            Status: 5.1.1
            Remote-MTA: dns; mx1.remote.example
            Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.example>: Recipient address
             rejected: User unknown
            Last-Attempt-Date: Fri, 15 Jan 2027 09:00:00 +0000

            """)
    }

    @Test func explanationNamesTheRecipientTheReplyAndTheAttachment() {
        let text = ReportAnatomy(report).parts[0].body
        #expect(text.contains("""
              <bob@remote.example>:
                the server mx1.remote.example said: 550 5.1.1 <bob@remote.example>:
                Recipient address rejected: User unknown

            """))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 76 })
        #expect(text.contains("will not be sent again"))
        #expect(text.contains("The original message is attached."))
        #expect(ReportAnatomy(report).parts[0].header["content-transfer-encoding"] == "7bit")
    }

    @Test func originalRecipientAppearsOnlyWhenORCPTWasGiven() {
        var outcome = Fixture.failed()
        outcome.originalRecipient = OriginalRecipient(addressType: "rfc822", address: "Bob@Remote.Example")
        let withORCPT = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [outcome],
                                                 originalMessage: Fixture.original)!
        let status = ReportAnatomy(withORCPT).parts[1].body
        #expect(status.contains("\nOriginal-Recipient: rfc822; Bob@Remote.Example\nFinal-Recipient: rfc822; bob@remote.example\n"))
        #expect(!ReportAnatomy(report).parts[1].body.contains("Original-Recipient"))
        #expect(!status.contains("Original-Envelope-Id"), "no ENVID given, none reported (RFC 3464 §2.2.1)")
    }

    @Test func malformedStatusFallsBackToTheActionsGenericCode() {
        var outcome = Fixture.failed()
        outcome.status = "5.1.1\nX-Evil: 1"
        let built = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [outcome],
                                             originalMessage: Fixture.original)!
        #expect(ReportAnatomy(built).parts[1].body.contains("\nStatus: 5.0.0\n"))
        #expect(!String(decoding: built.bytes, as: UTF8.self).contains("X-Evil"))
    }

    @Test func severalRecipientsGetOneBlockEach() {
        let built = Fixture.builder().report(
            envelope: Fixture.envelope(),
            outcomes: [Fixture.failed(), Fixture.failed("dave@remote.example", reply: "5.2.2 Mailbox full")],
            originalMessage: Fixture.original)!
        let blocks = ReportAnatomy(built).parts[1].body.split(separator: "\n\n")
        #expect(blocks.count == 3)
        #expect(blocks[2].hasPrefix("Final-Recipient: rfc822; dave@remote.example\nAction: failed\n"))
    }
}
