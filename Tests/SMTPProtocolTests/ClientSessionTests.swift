import NIOCore
import Testing
@testable import SMTPProtocol

/// Drives a client session with a server's lines and shows its actions as text: commands as
/// the wire line, the rest in angle brackets.
struct ClientDialogue {
    var session: SMTPClientSession

    init(tls: SMTPClientTLSPolicy = .may, credentials: SMTPClientCredentials? = nil, implicitTLS: Bool = false) {
        session = SMTPClientSession(configuration: SMTPClientConfiguration(
            clientName: "client.example", tlsPolicy: tls, tlsActiveFromStart: implicitTLS, credentials: credentials))
    }

    mutating func server(_ text: String) -> [String] {
        Self.render(session.receive(ByteBuffer(string: text)))
    }

    /// Greeting and EHLO with these extensions; returns what followed the EHLO reply.
    mutating func greet(_ extensions: [String]) -> [String] {
        _ = server("220 mx.example ESMTP\r\n")
        var reply = ByteBuffer()
        reply.writeSMTPReply(SMTPReply(250, nil, ["mx.example"] + extensions))
        return server(String(buffer: reply))
    }

    static func render(_ actions: [SMTPClientAction]) -> [String] {
        actions.map { action in
            switch action {
            case .send(let command): return SMTPCommandEncoder.line(command)
            case .sendSASLResponse(let text): return "SASL \(text)"
            case .startTLS: return "<startTLS>"
            case .sendContent: return "<content>"
            case .sendEndOfContentOnly: return "<end-only>"
            case .ready: return "<ready>"
            case .close(nil): return "<close>"
            case .close(let failure?): return "<close \(failure.status) \(failure.enhancedCode)\(failure.retryWithoutTLS ? " plaintext-retry" : "")>"
            case .transactionFinished(let results):
                return "<finished " + results.map {
                    "\($0.recipient.localPart)=\($0.status)/\($0.reply.code)/\($0.reply.enhanced ?? "-")\($0.remote ? "" : "/local")"
                }.joined(separator: " ") + ">"
            }
        }
    }
}

func outbound(_ locals: [String], size: Int = 100, body: SMTPBodyType = .sevenBit, utf8: Bool = false,
              notify: DSNNotify? = nil, ret: DSNReturn? = nil) -> SMTPOutboundMessage {
    SMTPOutboundMessage(
        reversePath: .mailbox(SMTPMailbox(localPart: "s", domain: "a.example")),
        recipients: locals.map { SMTPOutboundRecipient(SMTPMailbox(localPart: $0, domain: "b.example"),
                                                       dsn: SMTPRecipientParameters(notify: notify)) },
        size: size, bodyType: body, needsSMTPUTF8: utf8, dsnReturn: ret, envelopeID: ret == nil ? nil : "E1")
}

@Suite("Outbound client session: connection")
struct ClientSessionConnectionTests {
    @Test func greetsWithEHLOAndIsReady() {
        var dialogue = ClientDialogue()
        #expect(dialogue.server("220-mx.example\r\n220 ESMTP\r\n") == ["EHLO client.example"])
        #expect(dialogue.server("250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 AUTH PLAIN\r\n") == ["<ready>"])
        #expect(dialogue.session.capabilities.pipelining && dialogue.session.capabilities.sizeLimit == 1000)
        #expect(dialogue.session.capabilities.authMechanisms == ["PLAIN"])
    }

    @Test(arguments: [("554 5.3.2 no service\r\n", "<close failed 5.3.2>"), ("450 busy\r\n", "<close deferred 4.0.0>"),
                      ("421 4.3.2 shutting down\r\n", "<close deferred 4.3.2>")])
    func abortsWithoutA220Greeting(greeting: String, close: String) {
        var dialogue = ClientDialogue()
        let actions = dialogue.server(greeting)
        #expect(actions.last == close)
        #expect(!actions.contains("EHLO client.example"))
        #expect(dialogue.session.phase == .closed)
    }

    /// A timer or the peer's close can arrive after the session closed: the close is reported
    /// once (found by FuzzSMTPClient).
    @Test func reportsNothingMoreOnceClosed() {
        var dialogue = ClientDialogue()
        #expect(dialogue.server("554 5.3.2 no service\r\n").last == "<close failed 5.3.2>")
        #expect(dialogue.session.timedOut().isEmpty)
        #expect(dialogue.session.connectionClosed().isEmpty)
        #expect(dialogue.session.quit().isEmpty)
    }

    @Test func fallsBackToHELOWhenEHLOGetsA5xx() {
        var dialogue = ClientDialogue()
        _ = dialogue.server("220 old.example\r\n")
        #expect(dialogue.server("502 5.5.1 unrecognized\r\n") == ["HELO client.example"])
        #expect(dialogue.server("250 old.example\r\n") == ["<ready>"])
        #expect(dialogue.session.capabilities == SMTPServerCapabilities())
    }

    @Test func a4xxToEHLOIsNoReasonForHELO() {
        var dialogue = ClientDialogue()
        _ = dialogue.server("220 mx\r\n")
        #expect(dialogue.server("451 4.3.0 later\r\n") == ["QUIT", "<close deferred 4.3.0>"])
    }

    @Test func usesSTARTTLSWhenOfferedAndGreetsAgain() {
        var dialogue = ClientDialogue(tls: .may)
        #expect(dialogue.greet(["STARTTLS", "PIPELINING"]) == ["STARTTLS"])
        #expect(dialogue.server("220 2.0.0 go ahead\r\n") == ["<startTLS>"])
        #expect(dialogue.session.timeout == nil, "the handshake is the glue's")
        #expect(ClientDialogue.render(dialogue.session.tlsEstablished()) == ["EHLO client.example"])
        #expect(dialogue.session.capabilities == SMTPServerCapabilities(), "RFC 3207 §4.2: forget the plaintext EHLO")
        #expect(dialogue.server("250-mx\r\n250 PIPELINING\r\n") == ["<ready>"])
        #expect(dialogue.session.tlsActive)
    }

    @Test func mayGoesOnInPlaintextWithoutSTARTTLS() {
        var offered = ClientDialogue(tls: .may)
        #expect(offered.greet(["PIPELINING"]) == ["<ready>"])
        var refused = ClientDialogue(tls: .may)
        _ = refused.greet(["STARTTLS"])
        #expect(refused.server("454 4.7.0 TLS not available\r\n") == ["<ready>"])
    }

    @Test func policyNoneNeverSendsSTARTTLS() {
        var dialogue = ClientDialogue(tls: .none)
        #expect(dialogue.greet(["STARTTLS"]) == ["<ready>"])
    }

    @Test(arguments: [SMTPClientTLSPolicy.encrypt, .verify])
    func requiredTLSNotOfferedDefersEverything(policy: SMTPClientTLSPolicy) {
        var dialogue = ClientDialogue(tls: policy)
        #expect(dialogue.greet(["PIPELINING"]) == ["QUIT", "<close deferred 4.7.10>"])
        var refused = ClientDialogue(tls: policy)
        _ = refused.greet(["STARTTLS"])
        #expect(refused.server("454 4.7.0 no\r\n") == ["QUIT", "<close deferred 4.7.0>"])
    }

    @Test func requiredTLSAfterHELODefers() {
        var dialogue = ClientDialogue(tls: .encrypt)
        _ = dialogue.server("220 mx\r\n")
        _ = dialogue.server("500 what\r\n")
        #expect(dialogue.server("250 mx\r\n") == ["QUIT", "<close deferred 4.7.10>"])
    }

    /// CVE-2011-0411, client side: a reply behind the 220 was sent in plaintext before TLS.
    @Test func refusesBytesBehindThe220ToSTARTTLS() {
        var dialogue = ClientDialogue(tls: .may)
        _ = dialogue.greet(["STARTTLS"])
        #expect(dialogue.server("220 go ahead\r\n250 injected\r\n") == ["<close deferred 4.5.0>"])
        var partial = ClientDialogue(tls: .may)
        _ = partial.greet(["STARTTLS"])
        #expect(partial.server("220 go ahead\r\n2") == ["<close deferred 4.5.0>"], "even part of a line")
        var late = ClientDialogue(tls: .may)
        _ = late.greet(["STARTTLS"])
        #expect(late.server("220 go ahead\r\n") == ["<startTLS>"])
        #expect(late.server("250 injected\r\n") == ["<close deferred 4.5.0>"], "bytes before the handshake completes")
    }

    @Test func aFailedHandshakeUnderMayAllowsAPlaintextRetry() {
        var may = ClientDialogue(tls: .may)
        _ = may.greet(["STARTTLS"])
        _ = may.server("220 go\r\n")
        #expect(ClientDialogue.render(may.session.tlsFailed("bad record")) == ["<close deferred 4.7.5 plaintext-retry>"])
        var verify = ClientDialogue(tls: .verify)
        _ = verify.greet(["STARTTLS"])
        _ = verify.server("220 go\r\n")
        #expect(ClientDialogue.render(verify.session.tlsFailed("untrusted")) == ["<close deferred 4.7.5>"])
    }

    @Test func refusesUnreadableReplies() {
        var dialogue = ClientDialogue()
        #expect(dialogue.server("SSH-2.0-OpenSSH\r\n") == ["<close deferred 4.5.0>"])
        var bare = ClientDialogue()
        #expect(bare.server("220 mx\n") == ["<close deferred 4.5.0>"])
    }

    @Test func quitsPolitely() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet([])
        #expect(ClientDialogue.render(dialogue.session.quit()) == ["QUIT"])
        #expect(dialogue.server("221 2.0.0 bye\r\n") == ["<close>"])
        #expect(dialogue.server("250 more\r\n") == [], "nothing after close")
    }

    @Test func exposesTheTimeoutsOfRFC5321() {
        var dialogue = ClientDialogue()
        #expect(dialogue.session.timeout == .seconds(300))
        _ = dialogue.greet([])
        #expect(dialogue.session.timeout == nil)
        _ = dialogue.session.start(outbound(["r"]))
        #expect(dialogue.session.timeout == .seconds(300), "MAIL")
        _ = dialogue.server("250 ok\r\n")
        #expect(dialogue.session.timeout == .seconds(300), "RCPT")
        _ = dialogue.server("250 ok\r\n")
        #expect(dialogue.session.timeout == .seconds(120), "DATA initiation")
        _ = dialogue.server("354 go\r\n")
        #expect(dialogue.session.timeout == .seconds(180), "data block")
        _ = dialogue.session.contentSent()
        #expect(dialogue.session.timeout == .seconds(600), "final dot: ten minutes")
    }

    @Test func aTimeoutDefersTheOpenTransaction() {
        var dialogue = ClientDialogue()
        _ = dialogue.greet([])
        _ = dialogue.session.start(outbound(["r"]))
        #expect(ClientDialogue.render(dialogue.session.timedOut()) == ["<finished r=deferred/451/4.4.2/local>", "<close deferred 4.4.2>"])
    }
}

@Suite("Outbound client session: AUTH to a smarthost (RFC 4954)")
struct ClientSessionAuthenticationTests {
    static let credentials = SMTPClientCredentials(username: "user", password: "pencil")

    func afterTLS() -> ClientDialogue {
        var dialogue = ClientDialogue(tls: .encrypt, credentials: Self.credentials)
        _ = dialogue.greet(["STARTTLS"])
        _ = dialogue.server("220 go\r\n")
        _ = dialogue.session.tlsEstablished()
        return dialogue
    }

    @Test func plainWithInitialResponseThenReady() {
        var dialogue = afterTLS()
        // RFC 4616 §2: NUL user NUL password, base64
        #expect(dialogue.server("250-mx\r\n250 AUTH LOGIN PLAIN\r\n") == ["AUTH PLAIN AHVzZXIAcGVuY2ls"])
        #expect(dialogue.server("235 2.7.0 ok\r\n") == ["<ready>"])
    }

    @Test func loginSendsThePasswordAfterThe334() {
        var dialogue = afterTLS()
        #expect(dialogue.server("250-mx\r\n250 AUTH LOGIN\r\n") == ["AUTH LOGIN dXNlcg=="])
        #expect(dialogue.server("334 UGFzc3dvcmQ6\r\n") == ["SASL cGVuY2ls"])
        #expect(dialogue.server("235 2.7.0 ok\r\n") == ["<ready>"])
    }

    @Test(arguments: [("535 5.7.8 bad credentials\r\n", "<close failed 5.7.8>"),
                      ("454 4.7.0 try later\r\n", "<close deferred 4.7.0>"),
                      ("534 5.7.9 mechanism too weak\r\n", "<close failed 5.7.9>")])
    func refusalsSayWhetherToTryAgain(reply: String, close: String) {
        var dialogue = afterTLS()
        _ = dialogue.server("250-mx\r\n250 AUTH PLAIN\r\n")
        #expect(dialogue.server(reply) == ["QUIT", close])
    }

    @Test func neverSendsThePasswordInPlaintext() {
        var dialogue = ClientDialogue(tls: .may, credentials: Self.credentials)
        #expect(dialogue.greet(["AUTH PLAIN"]) == ["QUIT", "<close deferred 4.7.10>"])
        var allowed = ClientDialogue(tls: .none, credentials: SMTPClientCredentials(username: "u", password: "p", allowWithoutTLS: true))
        #expect(allowed.greet(["AUTH PLAIN"]).first?.hasPrefix("AUTH PLAIN ") == true)
    }

    @Test func withoutAKnownMechanismDefers() {
        var dialogue = afterTLS()
        #expect(dialogue.server("250-mx\r\n250 AUTH CRAM-MD5\r\n") == ["QUIT", "<close deferred 4.7.0>"])
    }

    @Test func implicitTLSNeedsNoSTARTTLS() {
        var dialogue = ClientDialogue(tls: .verify, credentials: Self.credentials, implicitTLS: true)
        #expect(dialogue.greet(["AUTH PLAIN"]) == ["AUTH PLAIN AHVzZXIAcGVuY2ls"])
    }
}
