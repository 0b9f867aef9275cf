import Testing
@testable import SMTPProtocol
import ProtocolSupport
import SASL
import NIOCore

/// SMTP AUTH in the session (RFC 4954): what each listener role offers, the replies of §4
/// and §6, the SASL responses read as such, and what a login changes.
@Suite("SMTP session: AUTH and submission")
struct AuthenticationSessionTests {
    typealias Session = SMTPSession<String>

    static func configuration(_ authentication: SMTPSessionConfiguration.Authentication = .required,
                              tlsActive: Bool = true, tlsRequired: Bool = false, startTLS: Bool = false,
                              plaintext: Bool = false) -> SMTPSessionConfiguration {
        SMTPSessionConfiguration(hostname: "mx.test", maximumMessageSize: 1000, maximumRecipients: 5, maximumErrors: 20,
                                 startTLSAvailable: startTLS, tlsRequired: tlsRequired, tlsActive: tlsActive,
                                 authentication: authentication, authenticationBeforeTLSAllowed: plaintext)
    }

    static let plain = b64("\0alice@test\0pencil")

    static func b64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }

    /// A session after EHLO.
    func greeted(_ configuration: SMTPSessionConfiguration = Self.configuration()) -> Session {
        var session = Session(configuration: configuration)
        _ = session.receive(SMTPCommandParser.parse(Array("EHLO c".utf8)))
        return session
    }

    func command(_ session: inout Session, _ line: String) -> Session.Action {
        session.receive(SMTPCommandParser.parse(Array(line.utf8)))
    }

    /// The reply an action ends in (through a failure's log step), as "code enhanced".
    func code(_ action: Session.Action) -> String {
        switch action {
        case .reply(let reply), .close(let reply), .authenticated(let reply, _, _), .discardContent(let reply):
            return reply.enhanced.map { "\(reply.code) \($0)" } ?? "\(reply.code)"
        case .authenticationFailed(_, let then):
            return code(then)
        default:
            return "\(action)"
        }
    }

    /// Logs in with PLAIN; the authenticator's verdict is `verdict`.
    func logIn(_ session: inout Session, verdict: LoginVerdict = .verified(account: "alice@test")) -> Session.Action {
        let action = command(&session, "AUTH PLAIN \(Self.plain)")
        guard case .verifyPassword(.plain, "alice@test", "pencil") = action else { return action }
        return session.loginVerdict(verdict)
    }

    // MARK: Advertising and refusals before the exchange

    @Test(arguments: [
        // (role, TLS active, plaintext allowed, TLS required, advertised)
        (SMTPSessionConfiguration.Authentication.required, true, false, false, true),
        (.required, false, false, false, false),   // 587 before STARTTLS
        (.required, false, true, false, true),     // loopback allowed
        (.required, false, true, true, false),     // "required" TLS: nothing before STARTTLS
        (.offered, true, false, false, true),      // [smtp] auth = true
        (.notOffered, true, true, false, false),   // port 25 by default
    ])
    func advertisesAuthOnlyWhereUsable(role: SMTPSessionConfiguration.Authentication, tls: Bool, plaintext: Bool,
                                       tlsRequired: Bool, advertised: Bool) {
        var session = Session(configuration: Self.configuration(role, tlsActive: tls, tlsRequired: tlsRequired,
                                                                plaintext: plaintext))
        guard case .reply(let reply) = command(&session, "EHLO c") else { Issue.record("no EHLO reply"); return }
        #expect(reply.lines.contains("AUTH SCRAM-SHA-256 PLAIN LOGIN") == advertised)
    }

    @Test(arguments: [
        // (lines before, AUTH line, expected)
        ([String](), "AUTH PLAIN \(plain)", "235 2.7.0"),
        (["HELO c"], "AUTH PLAIN \(plain)", "503 5.5.1"),          // AUTH is an EHLO extension
        (["MAIL FROM:<>"], "AUTH PLAIN \(plain)", "530 5.7.0"),     // required: MAIL refused first
        ([], "AUTH CRAM-MD5", "504 5.5.4"),
        ([], "AUTH SCRAM-SHA-256-PLUS", "504 5.5.4"),
        ([], "AUTH", "501 5.5.4"),
        ([], "AUTH PLAIN a b", "501 5.5.4"),
        ([], "AUTH PLAIN !!!!", "501 5.5.2"),
        ([], "AUTH PLAIN =", "334"),                                 // empty initial response
        ([], "auth plain \(plain)", "235 2.7.0"),
    ])
    func answersAuthCommands(before: [String], line: String, expected: String) {
        var session = Session(configuration: Self.configuration())
        if !before.contains("HELO c") { _ = command(&session, "EHLO c") }
        var last: Session.Action = .reply(.ok)
        for previous in before { last = command(&session, previous) }
        if before == ["MAIL FROM:<>"] { #expect(code(last) == expected); return }
        var action = command(&session, line)
        if case .verifyPassword = action { action = session.loginVerdict(.verified(account: "alice@test")) }
        #expect(code(action) == expected)
    }

    @Test func authBeforeStartTLSOnSubmissionIs538() {
        var session = greeted(Self.configuration(tlsActive: false, tlsRequired: true, startTLS: true))
        #expect(code(command(&session, "AUTH PLAIN \(Self.plain)")) == "538 5.7.11")
        #expect(code(command(&session, "AUTH LOGIN")) == "538 5.7.11")
    }

    @Test func authOnTheMXWithoutAuthIsNotImplemented() {
        var session = greeted(Self.configuration(.notOffered))
        #expect(code(command(&session, "AUTH PLAIN \(Self.plain)")) == "502 5.5.1")
    }

    @Test func secondAuthAndAuthInATransactionAre503() {
        var session = greeted()
        #expect(code(logIn(&session)) == "235 2.7.0")
        #expect(code(command(&session, "AUTH PLAIN \(Self.plain)")) == "503 5.5.1")

        var offered = greeted(Self.configuration(.offered))
        #expect(code(command(&offered, "MAIL FROM:<a@b.example>")) == "250 2.1.0")
        #expect(code(command(&offered, "AUTH PLAIN \(Self.plain)")) == "503 5.5.1")
    }

    // MARK: The exchange

    @Test(arguments: [
        (LoginVerdict.verified(account: "alice@test"), "235 2.7.0"),
        (.rejected, "535 5.7.8"),
        (.temporaryFailure, "454 4.7.0"),
    ])
    func passwordVerdicts(verdict: LoginVerdict, expected: String) {
        var session = greeted()
        let action = logIn(&session, verdict: verdict)
        #expect(code(action) == expected)
        #expect(session.authenticatedAccount == (expected == "235 2.7.0" ? "alice@test" : nil))
        if case .authenticationFailed(let failure, _) = action {
            #expect(failure == AuthenticationFailure(mechanism: .plain, username: "alice@test",
                                                     credentialsRejected: verdict == .rejected))
        }
    }

    @Test func loginAsksForUserAndPasswordAsSASLResponses() {
        var session = greeted()
        #expect(command(&session, "AUTH LOGIN") == .reply(.authenticationChallenge(Array("Username:".utf8))))
        #expect(session.expectedInput == .saslResponse)
        // A line that looks like a command is a response here (RFC 4954 §4).
        #expect(session.saslResponse(Array(Self.b64("alice@test").utf8))
                == .reply(.authenticationChallenge(Array("Password:".utf8))))
        #expect(session.saslResponse(Array(Self.b64("pencil").utf8)) == .verifyPassword(.login, username: "alice@test", password: "pencil"))
        #expect(session.expectedInput == .nothing)
        #expect(code(session.loginVerdict(.verified(account: "alice@test"))) == "235 2.7.0")
        #expect(session.expectedInput == .commands)
    }

    @Test func challengesAreBase64AndAnEmptyOneIsBare334() {
        var buffer = ByteBuffer()
        buffer.writeSMTPReply(.authenticationChallenge([]))
        buffer.writeSMTPReply(.authenticationChallenge(Array("Username:".utf8)))
        #expect(String(buffer: buffer) == "334 \r\n334 VXNlcm5hbWU6\r\n")
    }

    @Test(arguments: [
        ("*", "501 5.0.0"),
        ("not base64!", "501 5.5.2"),
        (b64("\0only-one-part"), "501 5.5.2"),
    ])
    func responsesThatEndTheExchange(response: String, expected: String) {
        var session = greeted()
        #expect(code(command(&session, "AUTH PLAIN")) == "334")
        let action = session.saslResponse(Array(response.utf8))
        #expect(code(action) == expected)
        guard case .authenticationFailed(let failure, _) = action else { Issue.record("\(action)"); return }
        #expect(!failure.credentialsRejected)
        #expect(session.expectedInput == .commands)
        #expect(code(logIn(&session)) == "235 2.7.0")  // and a new AUTH works
    }

    @Test func authorizationIdentityOfAnotherUserIs535() {
        var session = greeted()
        let action = command(&session, "AUTH PLAIN \(Self.b64("bob@test\0alice@test\0pencil"))")
        #expect(code(action) == "535 5.7.8")
    }

    @Test func overlongAndBrokenResponses() {
        var session = greeted()
        _ = command(&session, "AUTH LOGIN")
        #expect(code(session.saslResponseTooLong()) == "500 5.5.6")
        _ = command(&session, "AUTH LOGIN")
        #expect(code(session.saslResponseBareLineEnding()) == "501 5.5.2")
    }

    @Test func failedExchangesCountTowardsTheErrorLimit() {
        var configuration = Self.configuration()
        configuration.maximumErrors = 3
        var session = greeted(configuration)
        #expect(code(logIn(&session, verdict: .rejected)) == "535 5.7.8")
        #expect(code(logIn(&session, verdict: .rejected)) == "535 5.7.8")
        let last = logIn(&session, verdict: .rejected)
        guard case .authenticationFailed(let failure, .close(let reply)) = last else { Issue.record("\(last)"); return }
        #expect(failure.credentialsRejected)  // still logged for fail2ban
        #expect(reply.code == 421)
    }

    // MARK: SCRAM (RFC 7677 §3's exchange)

    static let salt = Base64.decode(Array("W22ZaJ0SNY7soEsUEjb6gQ==".utf8))!
    static let credentials = SCRAMCredentials.derive(password: "pencil", salt: salt, iterations: 4096)!
    static let clientFirst = b64("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    static let clientFinal = b64("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")

    func scramSession() -> Session {
        var session = greeted()
        session.scramServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        return session
    }

    @Test func scramLogsInAfterTheServerSignature() {
        var session = scramSession()
        #expect(command(&session, "AUTH SCRAM-SHA-256 \(Self.clientFirst)") == .lookUpCredentials(username: "user"))
        #expect(session.credentialsFound(Self.credentials) == .reply(.authenticationChallenge(Array(
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8))))
        #expect(session.saslResponse(Array(Self.clientFinal.utf8)) == .finishSCRAM(username: "user", proofVerified: true))
        // RFC 4954 §4: the server signature goes in a 334; the client answers with an empty line.
        #expect(session.loginVerdict(.verified(account: "user@test"))
                == .reply(.authenticationChallenge(Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))))
        #expect(session.authenticatedAccount == nil)
        #expect(code(session.saslResponse([])) == "235 2.7.0")
        #expect(session.authenticatedAccount == "user@test")
    }

    @Test func wrongSCRAMProofIsReportedAndRefused() {
        var session = scramSession()
        _ = command(&session, "AUTH SCRAM-SHA-256 \(Self.clientFirst)")
        _ = session.credentialsFound(SCRAMCredentials.derive(password: "wrong", salt: Self.salt, iterations: 4096)!)
        // The authenticator must hear of it: a wrong proof counts like a wrong password.
        #expect(session.saslResponse(Array(Self.clientFinal.utf8)) == .finishSCRAM(username: "user", proofVerified: false))
        #expect(code(session.loginVerdict(.rejected)) == "535 5.7.8")
        #expect(session.authenticatedAccount == nil)
    }

    @Test func scramLookupThatCannotBeMadeIs454() {
        var session = scramSession()
        _ = command(&session, "AUTH SCRAM-SHA-256 \(Self.clientFirst)")
        #expect(code(session.credentialsFound(nil)) == "454 4.7.0")
    }

    @Test func scramChannelBindingIsRefused() {
        var session = scramSession()
        let action = command(&session, "AUTH SCRAM-SHA-256 \(Self.b64("p=tls-unique,,n=user,r=abc"))")
        #expect(code(action) == "535 5.7.8")
    }

    // MARK: After the login

    @Test func mailBeforeAuthIs530OnSubmissionOnly() {
        var submission = greeted()
        #expect(code(command(&submission, "MAIL FROM:<alice@test>")) == "530 5.7.0")
        var mx = greeted(Self.configuration(.offered))
        #expect(code(command(&mx, "MAIL FROM:<alice@test>")) == "250 2.1.0")
    }

    @Test(arguments: [
        (SenderVerdict.accept, "250 2.1.0"),
        (.notOwned, "550 5.7.1"),
        (.messageLimitReached, "450 4.7.1"),
        (.temporaryFailure, "451 4.3.0"),
    ])
    func authenticatedMailAsksTheHandler(verdict: SenderVerdict, expected: String) {
        var session = greeted()
        _ = logIn(&session)
        #expect(command(&session, "MAIL FROM:<alice@test> AUTH=alice+40test")
                == .authorizeSender(account: "alice@test", .mailbox(SMTPMailbox(localPart: "alice", domain: "test"))))
        #expect(code(session.senderVerdict(verdict)) == expected)
        #expect((session.envelope != nil) == (verdict == .accept))
    }

    @Test(arguments: ["AUTH=<>", "AUTH=a+2Bb", "auth=x"])
    func mailAcceptsTheAuthParameter(parameter: String) {
        var session = greeted(Self.configuration(.offered))
        #expect(code(command(&session, "MAIL FROM:<a@b.example> \(parameter)")) == "250 2.1.0")
    }

    @Test(arguments: ["AUTH=a+2", "AUTH=a+zz", "AUTH=a+2b"])
    func mailRefusesAuthParameterThatIsNotXText(parameter: String) {
        var session = greeted(Self.configuration(.offered))
        #expect(code(command(&session, "MAIL FROM:<a@b.example> \(parameter)")) == "501 5.5.4")
    }

    @Test func recipientLimitIs450() {
        var session = greeted()
        _ = logIn(&session)
        _ = command(&session, "MAIL FROM:<>")
        _ = session.senderVerdict(.accept)
        _ = command(&session, "RCPT TO:<x@remote.example>")
        #expect(code(session.recipientVerdict(.recipientLimitReached)) == "450 4.7.1")
    }

    @Test(arguments: [
        (HeaderSenderVerdict.accept, "store"),
        (.notOwned, "550 5.7.1"),
        (.unreadable, "550 5.7.1"),
        (.temporaryFailure, "451 4.3.0"),
    ])
    func headerFromIsCheckedBeforeStoring(verdict: HeaderSenderVerdict, expected: String) {
        var session = greeted()
        _ = logIn(&session)
        _ = command(&session, "MAIL FROM:<>")
        _ = session.senderVerdict(.accept)
        _ = command(&session, "RCPT TO:<x@remote.example>")
        _ = session.recipientVerdict(.accept("remote"))
        _ = command(&session, "DATA")
        #expect(session.contentEnded(problems: []) == .checkHeaderSenders(account: "alice@test"))
        #expect(session.isInMessageTransfer)
        let action = session.headerSenderVerdict(verdict)
        if case .store = action { #expect(expected == "store") } else { #expect(code(action) == expected) }
    }

    @Test func loginSurvivesRsetAndEhloButNotTLS() {
        var configuration = Self.configuration(tlsActive: false, startTLS: true, plaintext: true)
        configuration.tlsRequired = false
        var session = greeted(configuration)
        #expect(code(logIn(&session)) == "235 2.7.0")
        _ = command(&session, "RSET")
        _ = command(&session, "EHLO again")
        #expect(session.authenticatedAccount == "alice@test")
        #expect(session.protocolName == "ESMTPA")
        guard case .startTLS = command(&session, "STARTTLS") else { Issue.record("no STARTTLS"); return }
        let fresh = session.afterTLSHandshake()
        #expect(fresh.authenticatedAccount == nil)  // RFC 3207 §4.2
    }

    @Test func protocolNamesFollowRFC3848AndRFC6531() {
        var session = greeted()
        #expect(session.protocolName == "ESMTPS")
        _ = logIn(&session)
        #expect(session.protocolName == "ESMTPSA")
        _ = command(&session, "MAIL FROM:<> SMTPUTF8")
        _ = session.senderVerdict(.accept)
        #expect(session.protocolName == "UTF8SMTPSA")
    }

    // MARK: Line lengths (RFC 5321 §4.5.3.1.4, RFC 4954 §4 and §5, RFC 3461 §4)

    @Test(arguments: [
        (String(repeating: "N", count: 510), false, true),
        ("NOOP " + String(repeating: "x", count: 506), false, false),
        ("AUTH PLAIN " + String(repeating: "A", count: 12_000), false, true),
        ("AUTH PLAIN " + String(repeating: "A", count: 12_300), false, false),
        ("MAIL FROM:<a@b> AUTH=" + String(repeating: "x", count: 900), false, true),
        ("MAIL FROM:<a@b> AUTH=" + String(repeating: "x", count: 1100), false, false),
        ("MAIL FROM:<a@b> AUTH=" + String(repeating: "x", count: 900) + " ENVID=" + String(repeating: "e", count: 100),
         false, true),
        ("RCPT TO:<a@b> ORCPT=rfc822;" + String(repeating: "x", count: 900), false, true),
        ("RCPT TO:<a@b> ORCPT=rfc822;" + String(repeating: "x", count: 1000), false, false),
        (String(repeating: "A", count: 12_000), true, true),
    ])
    func lineLimits(line: String, saslResponse: Bool, permitted: Bool) {
        #expect(SMTPLineLimits.permits(Array(line.utf8), saslResponse: saslResponse) == permitted)
    }
}
