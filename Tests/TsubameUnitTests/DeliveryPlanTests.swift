import MailQueue
import MaildirStore
@testable import SMTPProtocol
import Testing
@testable import TsubameServer

/// What an accepted envelope hands to the store: local mailboxes once, remote recipients once,
/// with their DSN parameters (RFC 3461).
@Suite struct DeliveryPlanTests {
    let alice = LocalMailbox(domain: "example.org", localPart: "alice")

    func recipient(_ address: String, local: [LocalMailbox] = [], remote: [String] = [],
                   dsn: DSNRecipientParameters = .init()) -> SMTPRecipient<ResolvedRecipient> {
        let parts = address.split(separator: "@").map(String.init)
        return SMTPRecipient(address: SMTPMailbox(localPart: parts[0], domain: parts[1]),
                             destination: ResolvedRecipient(mailboxes: local, remoteAddresses: remote), dsn: dsn)
    }

    @Test func remoteRecipientsCarryTheirNotifyAndOriginalRecipient() {
        var envelope = SMTPEnvelope<ResolvedRecipient>(reversePath: .mailbox(SMTPMailbox(localPart: "a", domain: "b.example")))
        envelope.dsnReturn = .headers
        envelope.envelopeID = "abc+2Bdef"
        envelope.recipients = [
            recipient("bob@example.net", remote: ["bob@example.net"],
                      dsn: DSNRecipientParameters(notify: [.failure, .success],
                                                  originalRecipient: DSNOriginalRecipient(addressType: "rfc822",
                                                                                          xtext: "bob+40example.net"))),
            recipient("carol@example.net", remote: ["carol@example.net"], dsn: DSNRecipientParameters(notify: .never)),
            recipient("dave@example.net", remote: ["dave@example.net"]),
            // An alias with a local and a remote target: the remote one keeps the RCPT's parameters.
            recipient("list@example.org", local: [alice], remote: ["erin@example.com"],
                      dsn: DSNRecipientParameters(notify: [.delay])),
            // The same remote address again: the first RCPT's parameters stay.
            recipient("BOB@example.net", remote: ["BOB@example.net"], dsn: DSNRecipientParameters(notify: .never)),
        ]
        let plan = MessageTransfer.plan(for: envelope)
        #expect(plan.mailboxes == [alice])
        #expect(plan.remoteRecipients == [
            NewQueuedRecipient(address: "bob@example.net", originalRecipient: "rfc822;bob+40example.net",
                               notify: "SUCCESS,FAILURE"),
            NewQueuedRecipient(address: "carol@example.net", notify: "NEVER"),
            NewQueuedRecipient(address: "dave@example.net"),
            NewQueuedRecipient(address: "erin@example.com", notify: "DELAY"),
        ])
        #expect(plan.envelopeID == "abc+2Bdef" && plan.returnContent == .headers)
    }

    @Test func withoutDSNParametersNothingIsKept() {
        var envelope = SMTPEnvelope<ResolvedRecipient>(reversePath: .null)
        envelope.recipients = [recipient("bob@example.net", remote: ["bob@example.net"])]
        let plan = MessageTransfer.plan(for: envelope)
        #expect(plan.envelopeID == nil && plan.returnContent == nil)
        #expect(plan.remoteRecipients == [NewQueuedRecipient(address: "bob@example.net")])
    }
}
