import Testing
import DeliveryReports

/// Delay notices (RFC 3464 §2.3.9) and which events produce a report at all (RFC 3461 §4.1,
/// RFC 5321 §4.5.5).
@Suite("Delivery reports: delays and NOTIFY")
struct DelayAndNotifyTests {
    @Test func delayNoticeCarriesWillRetryUntilAndOnlyTheHeader() {
        let report = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [Fixture.delayed()],
                                              originalMessage: Fixture.original)!
        let anatomy = ReportAnatomy(report)
        #expect(report.subject == "Delivery Status Notification (Delay)")
        #expect(anatomy.header["subject"] == "Delivery Status Notification (Delay)")
        #expect(anatomy.parts[1].body.hasSuffix("""
            Final-Recipient: rfc822; carol@slow.example
            Action: delayed
            Status: 4.4.1
            Remote-MTA: dns; mx.slow.example
            Diagnostic-Code: smtp; 421 4.4.1 Try again later
            Last-Attempt-Date: Fri, 15 Jan 2027 09:00:00 +0000
            Will-Retry-Until: Wed, 20 Jan 2027 08:00:00 +0000

            """))
        #expect(report.returnedContent == .headersOnly(.notAFailure))
        #expect(anatomy.parts[2].header["content-type"] == "text/rfc822-headers")
        #expect(anatomy.parts[2].body == "From: Alice <alice@tsubame.test>\nTo: bob@remote.example\nSubject: Lunch\nMessage-ID: <lunch-1@tsubame.test>\n")
        #expect(anatomy.parts[0].body.contains("you do not need to send it again"))
        #expect(anatomy.parts[0].body.contains("Wed, 20 Jan 2027 08:00:00 +0000"))
    }

    @Test func willRetryUntilIsLeftOutOfAFailure() {
        var outcome = Fixture.failed()
        outcome.willRetryUntil = Fixture.retryUntil
        let report = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [outcome],
                                              originalMessage: Fixture.original)!
        #expect(!ReportAnatomy(report).parts[1].body.contains("Will-Retry-Until"))
    }

    @Test func noReportForTheNullReversePath() {
        let bounce = Fixture.envelope(reversePath: "")
        #expect(Fixture.builder().report(envelope: bounce, outcomes: [Fixture.failed()],
                                         originalMessage: Fixture.original) == nil)
        for action in ReportAction.allCases {
            #expect(!DeliveryReportPolicy.shouldReport(action, notify: [.success, .failure, .delay], envelope: bounce))
        }
    }

    @Test func withoutNotifyFailuresAndDelaysAreReportedButNotSuccesses() {
        let envelope = Fixture.envelope()
        #expect(DeliveryReportPolicy.shouldReport(.failed, notify: nil, envelope: envelope))
        #expect(DeliveryReportPolicy.shouldReport(.delayed, notify: nil, envelope: envelope))
        #expect(!DeliveryReportPolicy.shouldReport(.delivered, notify: nil, envelope: envelope))
        #expect(!DeliveryReportPolicy.shouldReport(.relayed, notify: nil, envelope: envelope))
    }

    @Test func notifyNeverSilencesEverything() {
        for action in ReportAction.allCases {
            #expect(!DeliveryReportPolicy.shouldReport(action, notify: .never, envelope: Fixture.envelope()))
        }
        #expect(Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [Fixture.failed(notify: .never)],
                                         originalMessage: Fixture.original) == nil)
    }

    @Test func eachNotifyKeywordSelectsItsEvents() {
        let envelope = Fixture.envelope()
        #expect(DeliveryReportPolicy.shouldReport(.failed, notify: .failure, envelope: envelope))
        #expect(!DeliveryReportPolicy.shouldReport(.delayed, notify: .failure, envelope: envelope))
        #expect(DeliveryReportPolicy.shouldReport(.delayed, notify: .delay, envelope: envelope))
        #expect(!DeliveryReportPolicy.shouldReport(.failed, notify: .delay, envelope: envelope))
        for action in [ReportAction.delivered, .relayed, .expanded] {
            #expect(DeliveryReportPolicy.shouldReport(action, notify: .success, envelope: envelope))
        }
        #expect(!DeliveryReportPolicy.shouldReport(.failed, notify: .success, envelope: envelope))
    }

    @Test func onlyTheRecipientsNotifyAllowsAreReported() {
        let report = Fixture.builder().report(
            envelope: Fixture.envelope(),
            outcomes: [Fixture.failed(notify: .delay), Fixture.delayed(notify: .delay)],
            originalMessage: Fixture.original)!
        #expect(report.reportedRecipients.map(\.address) == ["carol@slow.example"])
        #expect(!String(decoding: report.bytes, as: UTF8.self).contains("bob@remote.example>"))
        #expect(report.subject == "Delivery Status Notification (Delay)")
    }

    @Test func notifyParameterParsesAsRFC3461Section4_1Says() {
        #expect(NotifyConditions(parameterValue: "NEVER") == .never)
        #expect(NotifyConditions(parameterValue: "success,Failure,DELAY") == [.success, .failure, .delay])
        #expect(NotifyConditions(parameterValue: "FAILURE") == .failure)
        #expect(NotifyConditions(parameterValue: "NEVER,FAILURE") == nil)
        #expect(NotifyConditions(parameterValue: "FAILURE,FAILURE") == nil)
        #expect(NotifyConditions(parameterValue: "") == nil)
        #expect(NotifyConditions(parameterValue: "SOMETIMES") == nil)
    }

    @Test func successReportHasItsOwnSubject() {
        let delivered = RecipientOutcome(address: "erin@remote.example", notify: .success, action: .relayed,
                                         status: "2.0.0", remoteMTA: "mx.remote.example",
                                         remoteReply: RemoteReply(code: 250, text: "2.0.0 Ok: queued as 4F"))
        let report = Fixture.builder().report(envelope: Fixture.envelope(), outcomes: [delivered],
                                              originalMessage: Fixture.original)!
        #expect(report.subject == "Successful Mail Delivery Report")
        #expect(ReportAnatomy(report).parts[1].body.contains("\nAction: relayed\nStatus: 2.0.0\n"))
    }
}
