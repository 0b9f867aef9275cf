import Testing
@testable import SMTPProtocol

/// The MX checks a message (SPF, DKIM, DMARC) between its last octet and the store; the
/// verdict stores it or refuses it at the end of DATA (RFC 7489 §7.3).
@Suite("SMTP session: message checks")
struct MessageVerdictTests {
    typealias Session = SMTPSession<String>

    static func session(checks: Bool) -> Session {
        var configuration = SMTPSessionConfiguration(hostname: "mx.test", maximumMessageSize: 1000,
                                                     maximumRecipients: 2, maximumErrors: 2)
        configuration.checksMessages = checks
        var session = Session(configuration: configuration)
        for line in ["EHLO c", "MAIL FROM:<a@b.example>", "RCPT TO:<x@mx.test>"] {
            _ = session.receive(SMTPCommandParser.parse(Array(line.utf8)))
        }
        _ = session.recipientVerdict(.accept("x"))
        _ = session.receive(SMTPCommandParser.parse(Array("DATA".utf8)))
        return session
    }

    @Test func uncheckedListenerStoresAtOnce() {
        var session = Self.session(checks: false)
        guard case .store = session.contentEnded(problems: []) else { Issue.record("no store"); return }
    }

    @Test func acceptedMessageIsStored() {
        var session = Self.session(checks: true)
        #expect(session.contentEnded(problems: []) == .checkMessage)
        #expect(session.isInMessageTransfer)
        #expect(session.expectedInput == .nothing)
        guard case .store(let envelope) = session.messageVerdict(.accept) else { Issue.record("no store"); return }
        #expect(envelope.recipients.map(\.destination) == ["x"])
    }

    @Test(arguments: [SMTPReply(550, "5.7.1", "DMARC policy rejects"), SMTPReply(451, "4.7.0", "try again")])
    func refusedMessageIsDiscardedWithTheReply(reply: SMTPReply) {
        var session = Self.session(checks: true)
        _ = session.contentEnded(problems: [])
        #expect(session.messageVerdict(.refuse(reply)) == .discardContent(then: reply))
        #expect(session.envelope == nil)
        #expect(!session.isInMessageTransfer)
        // The session goes on: a new transaction may start.
        let next = session.receive(SMTPCommandParser.parse(Array("MAIL FROM:<a@b.example>".utf8)))
        guard case .reply(let accepted) = next else { Issue.record("MAIL refused"); return }
        #expect(accepted.code == 250)
    }

    @Test func contentProblemsAreRefusedBeforeAnyCheck() {
        var session = Self.session(checks: true)
        #expect(session.contentEnded(problems: .bareLineEnding) == .discardContent(then: .bareLineEndingInMessage))
    }

    @Test func permanentRefusalsCountAsErrors() {
        var session = Self.session(checks: true)
        _ = session.contentEnded(problems: [])
        _ = session.messageVerdict(.refuse(SMTPReply(550, "5.7.1", "no")))
        for line in ["MAIL FROM:<a@b.example>", "RCPT TO:<x@mx.test>"] {
            _ = session.receive(SMTPCommandParser.parse(Array(line.utf8)))
        }
        _ = session.recipientVerdict(.accept("x"))
        _ = session.receive(SMTPCommandParser.parse(Array("DATA".utf8)))
        _ = session.contentEnded(problems: [])
        guard case .close = session.messageVerdict(.refuse(SMTPReply(550, "5.7.1", "no"))) else {
            Issue.record("not closed after maximumErrors refusals"); return
        }
    }
}
