import NIOCore
import Testing
@testable import SMTPProtocol

@Suite("Outbound client session: transactions")
struct ClientSessionTransactionTests {
    /// RFC 2920 §3.1: MAIL, every RCPT and DATA in one flight.
    @Test func pipelinesMailRecipientsAndDataInOneFlight() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["PIPELINING"])
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["a", "b"]))) == [
            "MAIL FROM:<s@a.example>", "RCPT TO:<a@b.example>", "RCPT TO:<b@b.example>", "DATA",
        ])
        #expect(dialogue.server("250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n") == [])
        #expect(dialogue.server("354 go\r\n") == ["<content>"])
        _ = dialogue.session.contentSent()
        #expect(dialogue.server("250 2.0.0 queued as X\r\n") == [
            "<finished a=delivered/250/2.0.0 b=failed/550/5.1.1>", "<ready>",
        ])
    }

    /// RFC 2920 §3.1: the DATA reply is read even when every RCPT failed.
    @Test func readsTheDataReplyWhenEveryRecipientFailed() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["PIPELINING"])
        _ = dialogue.session.start(outbound(["a", "b"]))
        #expect(dialogue.server("250 ok\r\n550 5.1.1 no\r\n450 4.2.1 later\r\n") == [])
        #expect(dialogue.server("554 5.5.1 no valid recipients\r\n") == [
            "<finished a=failed/550/5.1.1 b=deferred/450/4.2.1>", "<ready>",
        ])
        // the next transaction on this connection starts with RSET (connection reuse)
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["c"]))).first == "RSET")
    }

    /// A server that answers 354 though nobody was accepted gets only the end marker.
    @Test func endsTheContentEmptyWhenA354ComesWithoutRecipients() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["PIPELINING"])
        _ = dialogue.session.start(outbound(["a"]))
        #expect(dialogue.server("250 ok\r\n550 5.1.1 no\r\n354 go\r\n") == ["<end-only>"])
        #expect(dialogue.server("554 5.6.0 empty\r\n") == ["<finished a=failed/550/5.1.1>", "<ready>"])
    }

    @Test func aRefusedMailFailsEveryRecipientWithItsReply() {
        var pipelined = ClientDialogue()
        _ = pipelined.greet(["PIPELINING"])
        _ = pipelined.session.start(outbound(["a", "b"]))
        #expect(pipelined.server("451 4.7.1 greylisted\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need MAIL\r\n") == [])
        #expect(pipelined.server("503 5.5.1 need MAIL\r\n") == [
            "<finished a=deferred/451/4.7.1 b=deferred/451/4.7.1>", "<ready>",
        ])

        var lockstep = ClientDialogue()
        _ = lockstep.greet([])
        #expect(ClientDialogue.render(lockstep.session.start(outbound(["a"]))) == ["MAIL FROM:<s@a.example>"])
        #expect(lockstep.server("550 5.7.1 sender refused\r\n") == ["<finished a=failed/550/5.7.1>", "<ready>"])
    }

    /// Without PIPELINING one command at a time; DATA only when someone was accepted.
    @Test func withoutPipeliningSendsOneCommandPerReply() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet([])
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["a", "b", "c"]))) == ["MAIL FROM:<s@a.example>"])
        #expect(dialogue.server("250 ok\r\n") == ["RCPT TO:<a@b.example>"])
        #expect(dialogue.server("250 ok\r\n") == ["RCPT TO:<b@b.example>"])
        #expect(dialogue.server("450 4.2.2 mailbox full\r\n") == ["RCPT TO:<c@b.example>"])
        #expect(dialogue.server("550 5.1.1 unknown\r\n") == ["DATA"])
        #expect(dialogue.server("354 go\r\n") == ["<content>"])
        _ = dialogue.session.contentSent()
        #expect(dialogue.server("250 2.0.0 ok\r\n") == [
            "<finished a=delivered/250/2.0.0 b=deferred/450/4.2.2 c=failed/550/5.1.1>", "<ready>",
        ])
    }

    @Test func everyRecipientRefusedWithoutPipeliningSendsNoData() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet([])
        _ = dialogue.session.start(outbound(["a"]))
        _ = dialogue.server("250 ok\r\n")
        #expect(dialogue.server("550 5.1.1 no\r\n") == ["<finished a=failed/550/5.1.1>", "<ready>"])
    }

    @Test(arguments: [("554 5.6.0 content rejected\r\n", "failed/554/5.6.0"), ("451 4.3.0 try later\r\n", "deferred/451/4.3.0")])
    func aRefusedDataAppliesToEveryAcceptedRecipient(reply: String, outcome: String) {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["PIPELINING"])
        _ = dialogue.session.start(outbound(["a", "b"]))
        #expect(dialogue.server("250 ok\r\n250 ok\r\n250 ok\r\n" + reply) == ["<finished a=\(outcome) b=\(outcome)>", "<ready>"])
    }

    @Test(arguments: [("250 2.0.0 ok\r\n", "delivered/250/2.0.0"), ("452 4.3.1 disk full\r\n", "deferred/452/4.3.1"),
                      ("550 5.7.1 spam\r\n", "failed/550/5.7.1")])
    func theFinalReplyDecidesForTheAccepted(reply: String, outcome: String) {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["PIPELINING"])
        _ = dialogue.session.start(outbound(["a"]))
        _ = dialogue.server("250 ok\r\n250 ok\r\n354 go\r\n")
        _ = dialogue.session.contentSent()
        #expect(dialogue.server(reply) == ["<finished a=\(outcome)>", "<ready>"])
    }

    @Test func aReplyBeforeTheContentEndsIsAnError() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["PIPELINING"])
        _ = dialogue.session.start(outbound(["a"]))
        #expect(dialogue.server("250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 queued\r\n") == [
            "<content>", "<finished a=deferred/451/4.5.0/local>", "<close deferred 4.5.0>",
        ])
    }

    @Test func a421MidTransactionDefersAndCloses() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["PIPELINING"])
        _ = dialogue.session.start(outbound(["a", "b"]))
        #expect(dialogue.server("250 ok\r\n550 5.1.1 no\r\n421 4.3.2 shutting down\r\n") == [
            "<finished a=failed/550/5.1.1 b=deferred/421/4.3.2>", "<close deferred 4.3.2>",
        ])
    }

    // MARK: what the server announced

    @Test func tooLargeForTheServersSizeFailsWithoutSending() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["SIZE 1000"])
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["a", "b"], size: 1001))) == [
            "<finished a=failed/552/5.3.4/local b=failed/552/5.3.4/local>", "<ready>",
        ])
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["a"], size: 1000))) == ["MAIL FROM:<s@a.example> SIZE=1000"])
    }

    @Test func sizeZeroMeansNoLimit() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet(["SIZE 0"])
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["a"], size: 9_999_999))) == ["MAIL FROM:<s@a.example> SIZE=9999999"])
    }

    @Test func eightBitContentNeeds8BITMIME() {
        var without = ClientDialogue()
        _ = without.greet([])
        let refused = without.session.start(outbound(["a"], body: .eightBitMIME))
        #expect(ClientDialogue.render(refused) == ["<finished a=failed/554/5.6.3/local>", "<ready>"])
        guard case .transactionFinished(let results) = refused.first else { return }
        #expect(results[0].reply.lines[0].contains("8BITMIME"), "a reason a person understands")

        var with = ClientDialogue()
        _ = with.greet(["8BITMIME"])
        #expect(ClientDialogue.render(with.session.start(outbound(["a"], body: .eightBitMIME))) == ["MAIL FROM:<s@a.example> BODY=8BITMIME"])
    }

    @Test func internationalAddressesNeedSMTPUTF8() {
        var without = ClientDialogue()
        _ = without.greet(["8BITMIME"])
        #expect(ClientDialogue.render(without.session.start(outbound(["ü"]))) == ["<finished ü=failed/553/5.6.7/local>", "<ready>"])
        #expect(ClientDialogue.render(without.session.start(outbound(["a"], utf8: true))) == ["<finished a=failed/553/5.6.7/local>", "<ready>"])

        var with = ClientDialogue()
        _ = with.greet(["SMTPUTF8", "PIPELINING"])
        #expect(ClientDialogue.render(with.session.start(outbound(["ü"]))).prefix(2) == [
            "MAIL FROM:<s@a.example> SMTPUTF8", "RCPT TO:<ü@b.example>",
        ])
    }

    /// RFC 3461 §4: NOTIFY, ORCPT, RET and ENVID only to a server announcing DSN.
    @Test func dsnParametersOnlyWhenOffered() {
        var without = ClientDialogue()
        _ = without.greet(["PIPELINING"])
        #expect(ClientDialogue.render(without.session.start(outbound(["a"], notify: [.failure], ret: .headers))).prefix(2) == [
            "MAIL FROM:<s@a.example>", "RCPT TO:<a@b.example>",
        ])
        var with = ClientDialogue()
        _ = with.greet(["PIPELINING", "DSN"])
        #expect(ClientDialogue.render(with.session.start(outbound(["a"], notify: [.failure], ret: .headers))).prefix(2) == [
            "MAIL FROM:<s@a.example> RET=HDRS ENVID=E1", "RCPT TO:<a@b.example> NOTIFY=FAILURE",
        ])
    }

    // MARK: connection reuse

    @Test func reusesTheConnectionWithRSETBetweenTransactions() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet([])
        _ = dialogue.session.start(outbound(["a"]))
        _ = dialogue.server("250 ok\r\n")
        _ = dialogue.server("250 ok\r\n")
        _ = dialogue.server("354 go\r\n")
        _ = dialogue.session.contentSent()
        #expect(dialogue.server("250 2.0.0 ok\r\n") == ["<finished a=delivered/250/2.0.0>", "<ready>"])
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["b"]))) == ["RSET"])
        #expect(dialogue.server("250 2.0.0 reset\r\n") == ["MAIL FROM:<s@a.example>"])
        #expect(dialogue.server("250 ok\r\n") == ["RCPT TO:<b@b.example>"])
        #expect(dialogue.server("250 ok\r\n") == ["DATA"])
        // a refused RSET ends the transaction with its reply
        var pipelined = ClientDialogue()
        _ = pipelined.greet(["PIPELINING"])
        _ = pipelined.session.start(outbound(["a"]))
        _ = pipelined.server("250 ok\r\n550 5.1.1 no\r\n554 no recipients\r\n")
        #expect(ClientDialogue.render(pipelined.session.start(outbound(["b"]))) == [
            "RSET", "MAIL FROM:<s@a.example>", "RCPT TO:<b@b.example>", "DATA",
        ])
        #expect(pipelined.server("451 4.3.0 no\r\n503 x\r\n503 x\r\n503 x\r\n") == ["<finished b=deferred/451/4.3.0>", "<ready>"])
    }

    @Test func startOutsideReadyDefersWithoutSending() {
        var dialogue = ClientDialogue()
        #expect(ClientDialogue.render(dialogue.session.start(outbound(["a"]))) == ["<finished a=deferred/451/4.3.0/local>"])
    }
}
