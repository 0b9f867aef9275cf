import Testing
@testable import SMTPProtocol

/// The receiving side of the DSN extension (RFC 3461 §4): MAIL's RET and ENVID, RCPT's NOTIFY
/// and ORCPT, kept in the envelope as received.
@Suite("DSN parameters")
struct DSNParameterTests {
    typealias Session = SMTPSession<String>

    static let configuration = SMTPSessionConfiguration(
        hostname: "mx.test", maximumMessageSize: 1000, maximumRecipients: 5, maximumErrors: 50)

    func send(_ session: inout Session, _ line: String) -> Session.Action {
        var action = session.receive(SMTPCommandParser.parse(Array(line.utf8)))
        if case .verifyRecipient = action { action = session.recipientVerdict(.accept("box")) }
        return action
    }

    func code(_ action: Session.Action) -> String {
        guard case .reply(let reply) = action else { return "\(action)" }
        return reply.enhanced.map { "\(reply.code) \($0)" } ?? "\(reply.code)"
    }

    /// A session after EHLO and, when `mail` is given, that MAIL.
    func session(mail: String? = nil) -> Session {
        var session = Session(configuration: Self.configuration)
        _ = send(&session, "EHLO client")
        if let mail { #expect(code(send(&session, mail)) == "250 2.1.0") }
        return session
    }

    @Test func ehloAdvertisesDSN() {
        var session = Session(configuration: Self.configuration)
        guard case .reply(let reply) = send(&session, "EHLO client") else { Issue.record("no reply"); return }
        #expect(reply.lines.contains("DSN"))
    }

    // MARK: MAIL: RET and ENVID

    static let validMail: [(String, DSNReturn?, String?)] = [
        ("MAIL FROM:<a@b> RET=FULL", .full, nil),
        ("MAIL FROM:<a@b> RET=hdrs", .headers, nil),
        ("MAIL FROM:<a@b> ret=Hdrs", .headers, nil),
        ("MAIL FROM:<a@b> ENVID=abc+2Bdef", nil, "abc+2Bdef"),
        ("MAIL FROM:<> ENVID=QQ314159 RET=HDRS", .headers, "QQ314159"),
        ("MAIL FROM:<a@b> ENVID=" + String(repeating: "e", count: 100), nil, String(repeating: "e", count: 100)),
        // 100 characters once decoded, longer as xtext.
        ("MAIL FROM:<a@b> ENVID=" + String(repeating: "+20", count: 100), nil, String(repeating: "+20", count: 100)),
        ("MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME RET=FULL ENVID=x", .full, "x"),
    ]

    @Test("MAIL keeps RET and ENVID", arguments: validMail)
    func mailKeepsReturnAndEnvelopeID(line: String, ret: DSNReturn?, envelopeID: String?) {
        var session = self.session()
        #expect(code(send(&session, line)) == "250 2.1.0")
        #expect(session.envelope?.dsnReturn == ret)
        #expect(session.envelope?.envelopeID == envelopeID)
    }

    static let invalidMail: [(String, String)] = [
        ("MAIL FROM:<a@b> RET=NONE", "bad RET value"),
        ("MAIL FROM:<a@b> RET", "bad RET value"),
        ("MAIL FROM:<a@b> RET=FULL,HDRS", "bad RET value"),
        ("MAIL FROM:<a@b> RET=FULL RET=HDRS", "RET given more than once"),
        ("MAIL FROM:<a@b> RET=FULL ret=FULL", "RET given more than once"),
        ("MAIL FROM:<a@b> ENVID=" + String(repeating: "e", count: 101), "bad ENVID value"),
        ("MAIL FROM:<a@b> ENVID=+4", "bad ENVID value"),
        ("MAIL FROM:<a@b> ENVID=ab+2b", "bad ENVID value"),      // hexchar is upper case
        ("MAIL FROM:<a@b> ENVID=a+0D+0Ab", "bad ENVID value"),   // decodes to CR LF
        ("MAIL FROM:<a@b> ENVID", "bad ENVID value"),
        ("MAIL FROM:<a@b> ENVID=é", "bad ENVID value"),
        ("MAIL FROM:<a@b> ENVID=a ENVID=b", "ENVID given more than once"),
        ("MAIL FROM:<a@b> SIZE=1 SIZE=2", "SIZE given more than once"),
        ("MAIL FROM:<a@b> ENVID=", "empty parameter value"),
    ]

    @Test("MAIL refuses malformed or repeated RET and ENVID", arguments: invalidMail)
    func mailRefusesMalformedParameters(line: String, reason: String) {
        var session = self.session()
        let action = send(&session, line)
        #expect(code(action) == "501 5.5.4")
        guard case .reply(let reply) = action else { return }
        #expect(reply.lines.joined().contains(reason), "\(reply.lines)")
        #expect(session.envelope == nil)
    }

    // MARK: RCPT: NOTIFY and ORCPT

    static let validRecipient: [(String, DSNNotify?, String?)] = [
        ("RCPT TO:<x@mx.test> NOTIFY=NEVER", .never, nil),
        ("RCPT TO:<x@mx.test> NOTIFY=never", .never, nil),
        ("RCPT TO:<x@mx.test> NOTIFY=SUCCESS", .success, nil),
        ("RCPT TO:<x@mx.test> NOTIFY=delay,Failure", [.delay, .failure], nil),
        ("RCPT TO:<x@mx.test> NOTIFY=SUCCESS,FAILURE,DELAY", [.success, .failure, .delay], nil),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;bob+40example.net", nil, "rfc822;bob+40example.net"),
        ("RCPT TO:<x@mx.test> ORCPT=RFC822;bob@example.net NOTIFY=FAILURE", .failure, "RFC822;bob@example.net"),
        // RFC 6533 §3: utf-8-addr-xtext, a subset of xtext.
        ("RCPT TO:<x@mx.test> ORCPT=utf-8;\\x{00FC}ser@example.net", nil, "utf-8;\\x{00FC}ser@example.net"),
        ("RCPT TO:<x@mx.test> ORCPT=x-local;anything", nil, "x-local;anything"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;a+3Bb;c", nil, "rfc822;a+3Bb;c"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;" + String(repeating: "a", count: 500), nil,
         "rfc822;" + String(repeating: "a", count: 500)),
    ]

    @Test("RCPT keeps NOTIFY and ORCPT", arguments: validRecipient)
    func recipientKeepsNotifyAndOriginalRecipient(line: String, notify: DSNNotify?, orcpt: String?) {
        var session = self.session(mail: "MAIL FROM:<a@b>")
        #expect(code(send(&session, line)) == "250 2.1.5")
        let recipient = session.envelope?.recipients.first
        #expect(recipient?.dsn.notify == notify)
        #expect(recipient?.dsn.originalRecipient?.parameterValue == orcpt)
    }

    static let invalidRecipient: [(String, String)] = [
        ("RCPT TO:<x@mx.test> NOTIFY=NEVER,SUCCESS", "bad NOTIFY value"),
        ("RCPT TO:<x@mx.test> NOTIFY=SUCCESS,NEVER", "bad NOTIFY value"),
        ("RCPT TO:<x@mx.test> NOTIFY=SUCCESS,SUCCESS", "bad NOTIFY value"),
        ("RCPT TO:<x@mx.test> NOTIFY=SUCCESS,", "bad NOTIFY value"),
        ("RCPT TO:<x@mx.test> NOTIFY=,FAILURE", "bad NOTIFY value"),
        ("RCPT TO:<x@mx.test> NOTIFY=ALWAYS", "bad NOTIFY value"),
        ("RCPT TO:<x@mx.test> NOTIFY", "bad NOTIFY value"),
        ("RCPT TO:<x@mx.test> NOTIFY=", "empty parameter value"),
        ("RCPT TO:<x@mx.test> NOTIFY=NEVER NOTIFY=NEVER", "NOTIFY given more than once"),
        ("RCPT TO:<x@mx.test> ORCPT=bob@example.net", "bad ORCPT value"),
        ("RCPT TO:<x@mx.test> ORCPT=;bob@example.net", "bad ORCPT value"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;", "bad ORCPT value"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;bob+4", "bad ORCPT value"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc(822);bob", "bad ORCPT value"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;bob+0A", "bad ORCPT value"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;" + String(repeating: "a", count: 501), "bad ORCPT value"),
        ("RCPT TO:<x@mx.test> ORCPT=rfc822;a ORCPT=rfc822;b", "ORCPT given more than once"),
    ]

    @Test("RCPT refuses malformed or repeated NOTIFY and ORCPT", arguments: invalidRecipient)
    func recipientRefusesMalformedParameters(line: String, reason: String) {
        var session = self.session(mail: "MAIL FROM:<a@b>")
        let action = send(&session, line)
        #expect(code(action) == "501 5.5.4")
        guard case .reply(let reply) = action else { return }
        #expect(reply.lines.joined().contains(reason), "\(reply.lines)")
        #expect(session.envelope?.recipients.isEmpty == true)
    }

    @Test func otherRecipientParametersAreNotImplemented() {
        var session = self.session(mail: "MAIL FROM:<a@b>")
        #expect(code(send(&session, "RCPT TO:<x@mx.test> FOO=bar")) == "555 5.5.4")
        #expect(code(send(&session, "RCPT TO:<x@mx.test> NOTIFY=NEVER FOO")) == "555 5.5.4")
    }

    @Test func eachRecipientKeepsItsOwnParameters() {
        var session = self.session(mail: "MAIL FROM:<a@b> RET=HDRS ENVID=id1")
        _ = send(&session, "RCPT TO:<x@mx.test> NOTIFY=SUCCESS ORCPT=rfc822;x+40mx.test")
        _ = send(&session, "RCPT TO:<y@mx.test>")
        _ = send(&session, "RCPT TO:<z@mx.test> NOTIFY=NEVER")
        _ = send(&session, "DATA")
        guard case .store(let envelope) = session.contentEnded(problems: []) else { Issue.record("no store"); return }
        #expect(envelope.dsnReturn == .headers && envelope.envelopeID == "id1")
        #expect(envelope.recipients.map(\.dsn) == [
            DSNRecipientParameters(notify: .success,
                                   originalRecipient: DSNOriginalRecipient(addressType: "rfc822", xtext: "x+40mx.test")),
            DSNRecipientParameters(),
            DSNRecipientParameters(notify: .never),
        ])
    }

    @Test func aNewTransactionForgetsTheParameters() {
        var session = self.session(mail: "MAIL FROM:<a@b> RET=FULL ENVID=one")
        _ = send(&session, "RSET")
        _ = send(&session, "MAIL FROM:<a@b>")
        #expect(session.envelope?.dsnReturn == nil && session.envelope?.envelopeID == nil)
    }

    // MARK: Values: canonical text and the client's encoder

    @Test func notifyHasOneCanonicalText() {
        #expect(DSNNotify.never.parameterValue == "NEVER")
        #expect(DSNNotify(parameterValue: "delay,success,failure")?.parameterValue == "SUCCESS,FAILURE,DELAY")
        #expect(DSNNotify(parameterValue: "Failure,Success")?.parameterValue == "SUCCESS,FAILURE")
    }

    /// Every NOTIFY set round-trips through its text.
    @Test func notifyRoundTrips() {
        for raw in UInt8(0)...7 {
            let notify = DSNNotify(rawValue: raw)
            #expect(DSNNotify(parameterValue: notify.parameterValue) == notify)
        }
    }

    /// What the outbound client writes (SMTPMailParameters, SMTPRecipientParameters), this
    /// server reads back to the same values: the two sides share one grammar.
    @Test(arguments: [
        (DSNReturn.full, "abc+def"), (.headers, "id with spaces=and+plus"), (.headers, "x"),
    ])
    func clientMailParametersRoundTrip(ret: DSNReturn, envelopeID: String) throws {
        let client = SMTPMailParameters(ret: ret, envelopeID: envelopeID)
        var session = self.session()
        let line = SMTPCommandEncoder.line(.mail(.mailbox(SMTPMailbox(localPart: "a", domain: "b")), client.parameters))
        #expect(code(send(&session, line)) == "250 2.1.0")
        let envelope = try #require(session.envelope)
        #expect(envelope.dsnReturn == ret)
        #expect(envelope.envelopeID.flatMap(XText.decode) == Array(envelopeID.utf8))
    }

    static let recipientRoundTrips: [(DSNNotify, String)] = [
        (.never, "bob@example.net"), ([.success, .failure], "bob+tag@example.net"), ([.delay], "odd=name@example.net"),
    ]

    @Test(arguments: recipientRoundTrips)
    func clientRecipientParametersRoundTrip(notify: DSNNotify, original: String) throws {
        let client = SMTPRecipientParameters(notify: notify, originalRecipient: original)
        var session = self.session(mail: "MAIL FROM:<a@b>")
        let line = SMTPCommandEncoder.line(.rcpt(SMTPMailbox(localPart: "x", domain: "mx.test"), client.parameters))
        #expect(code(send(&session, line)) == "250 2.1.5")
        let dsn = try #require(session.envelope?.recipients.first?.dsn)
        #expect(dsn.notify == notify)
        #expect(dsn.originalRecipient?.addressType == "rfc822")
        #expect(dsn.originalRecipient.flatMap { XText.decode($0.xtext) } == Array(original.utf8))
        // The received parameters, relayed as they came, read back the same.
        let received = try #require(dsn.originalRecipient)
        #expect(DSNOriginalRecipient(parameterValue: received.parameterValue) == received)
    }
}
