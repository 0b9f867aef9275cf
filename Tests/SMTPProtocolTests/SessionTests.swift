import Testing
@testable import SMTPProtocol
import ProtocolSupport

@Suite("SMTP session state machine")
struct SessionTests {
    typealias Session = SMTPSession<String>

    static let configuration = SMTPSessionConfiguration(
        hostname: "mx.test", maximumMessageSize: 1000, maximumRecipients: 2, maximumErrors: 5)

    func session() -> Session { Session(configuration: Self.configuration) }

    func send(_ session: inout Session, _ line: String) -> Session.Action {
        session.receive(SMTPCommandParser.parse(Array(line.utf8)))
    }

    func code(_ action: Session.Action) -> String? {
        switch action {
        case .reply(let reply), .close(let reply), .startData(let reply), .discardContent(let reply):
            return reply.enhanced.map { "\(reply.code) \($0)" } ?? "\(reply.code)"
        default:
            return nil
        }
    }

    /// Runs commands; RCPTs are answered by `verdicts` in order. Returns each reply's code.
    func run(_ lines: [String], verdicts: [RecipientVerdict<String>] = [], session start: Session? = nil) -> [String] {
        var session = start ?? self.session()
        var verdicts = verdicts
        return lines.map { line in
            var action = send(&session, line)
            if case .verifyRecipient = action {
                action = session.recipientVerdict(verdicts.isEmpty ? .accept("box") : verdicts.removeFirst())
            }
            if case .store = action { return "store" }
            return code(action) ?? "\(action)"
        }
    }

    @Test func plainTransaction() {
        #expect(run(["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@mx.test>", "DATA"]) == ["250", "250 2.1.0", "250 2.1.5", "354"])
    }

    @Test func ehloAdvertisesExtensions() {
        var session = self.session()
        guard case .reply(let reply) = send(&session, "EHLO client") else { Issue.record("no reply"); return }
        for keyword in ["PIPELINING", "SIZE 1000", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING"] {
            #expect(reply.lines.contains(keyword), "\(keyword)")
        }
    }

    static let sequenceErrors: [([String], String)] = [
        (["MAIL FROM:<a@b>"], "503 5.5.1"),
        (["EHLO c", "RCPT TO:<x@y>"], "503 5.5.1"),
        (["EHLO c", "DATA"], "503 5.5.1"),
        (["EHLO c", "MAIL FROM:<a@b>", "MAIL FROM:<a@b>"], "503 5.5.1"),
        (["EHLO c", "MAIL FROM:<a@b>", "DATA"], "554 5.5.1"),
        (["EHLO c", "MAIL FROM:a@b"], "501 5.5.4"),
        (["EHLO c", "FOO"], "500 5.5.1"),
        (["EHLO c", "EXPN x"], "502 5.5.1"),
        (["EHLO c", "MAIL FROM:<a@b> SIZE=1001"], "552 5.3.4"),
        (["EHLO c", "MAIL FROM:<a@b> MT-PRIORITY=3"], "555 5.5.4"),
        (["EHLO c", "MAIL FROM:<ü@b>"], "553 5.6.7"),
        (["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<ü@mx.test>"], "553 5.6.7"),
        (["EHLO c", "VRFY alice"], "252 2.5.0"),
        (["EHLO c", "NOOP"], "250 2.0.0"),
        (["EHLO c", "HELP"], "214 2.0.0"),
        (["EHLO c", "QUIT"], "221 2.0.0"),
    ]

    @Test("replies with the right code", arguments: sequenceErrors)
    func repliesWithCode(lines: [String], expected: String) {
        #expect(run(lines).last == expected)
    }

    @Test func recipientVerdicts() {
        let codes = run(["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<u@x>", "RCPT TO:<r@elsewhere>", "RCPT TO:<t@x>"],
                        verdicts: [.unknownUser, .relayDenied, .temporaryFailure])
        #expect(Array(codes.suffix(3)) == ["550 5.1.1", "554 5.7.1", "451 4.3.0"])
    }

    @Test func limitsRecipients() {
        let codes = run(["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<1@x>", "RCPT TO:<2@x>", "RCPT TO:<3@x>"])
        #expect(codes.last == "452 4.5.3")
    }

    @Test func smtputf8AllowsUTF8Addresses() {
        let codes = run(["EHLO c", "MAIL FROM:<送信者@例え.jp> SMTPUTF8", "RCPT TO:<ü@mx.test>", "DATA"])
        #expect(codes == ["250", "250 2.1.0", "250 2.1.5", "354"])
    }

    @Test func protocolNameFollowsGreetingAndSMTPUTF8() {
        var session = self.session()
        _ = send(&session, "HELO c")
        #expect(session.protocolName == "SMTP")
        _ = send(&session, "EHLO c")
        #expect(session.protocolName == "ESMTP")
        _ = send(&session, "MAIL FROM:<a@b> SMTPUTF8")
        #expect(session.protocolName == "UTF8SMTP")
    }

    @Test func closesAfterTooManyErrors() {
        var session = self.session()
        var last: Session.Action = .reply(.ok)
        for _ in 0..<5 { last = send(&session, "BOGUS") }
        #expect(last == .close(.tooManyErrors(hostname: "mx.test")))
        #expect(session.phase == .closed)
    }

    @Test func framingErrorsCount() {
        var session = self.session()
        #expect(session.receiveLineTooLong() == .reply(.lineTooLong))
        #expect(session.receiveBareLineEnding() == .reply(.bareLineEndingInCommand))
        #expect(session.errorCount == 2)
    }

    @Test func dataEndStoresOrRejects() {
        var session = self.session()
        for line in ["EHLO c", "MAIL FROM:<a@b>"] { _ = send(&session, line) }
        _ = send(&session, "RCPT TO:<x@mx.test>")
        _ = session.recipientVerdict(.accept("x"))
        _ = send(&session, "DATA")
        guard case .store(let envelope) = session.contentEnded(problems: []) else { Issue.record("no store"); return }
        #expect(envelope.recipients.map(\.destination) == ["x"])
        #expect(session.isInMessageTransfer)
        #expect(session.storageCompleted(.success("ID1")) == .reply(.accepted(id: "ID1")))
        // the next transaction: rejected content
        _ = send(&session, "MAIL FROM:<a@b>")
        _ = send(&session, "RCPT TO:<x@mx.test>")
        _ = session.recipientVerdict(.accept("x"))
        _ = send(&session, "DATA")
        #expect(session.contentEnded(problems: .bareLineEnding) == .discardContent(then: .bareLineEndingInMessage))
        #expect(session.envelope == nil)
    }

    static let contentProblemReplies: [(MessageContentDecoder.Problems, String)] = [
        (.tooLarge, "552 5.3.4"),
        (.lineTooLong, "554 5.6.0"),
        (.bareLineEnding, "554 5.6.0"),
        ([.tooLarge, .bareLineEnding], "552 5.3.4"),
    ]

    @Test("content problems map to replies", arguments: contentProblemReplies)
    func contentProblems(problems: MessageContentDecoder.Problems, expected: String) {
        var session = self.session()
        _ = send(&session, "EHLO c")
        _ = send(&session, "MAIL FROM:<a@b>")
        _ = send(&session, "RCPT TO:<x@mx.test>")
        _ = session.recipientVerdict(.accept("x"))
        _ = send(&session, "DATA")
        #expect(code(session.contentEnded(problems: problems)) == expected)
    }

    @Test func storageFailureIsTemporary() {
        var session = self.session()
        for line in ["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"] { _ = send(&session, line) }
        _ = session.recipientVerdict(.accept("x"))
        _ = send(&session, "DATA")
        _ = session.contentEnded(problems: [])
        #expect(session.storageCompleted(.failure(.init())) == .reply(.storageFailed))
    }

    @Test func bdatChunksThenLast() {
        var session = self.session()
        for line in ["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"] { _ = send(&session, line) }
        _ = session.recipientVerdict(.accept("x"))
        #expect(send(&session, "BDAT 5") == .readChunk(size: 5, last: false, accepted: true))
        #expect(session.chunkEnded(problems: []) == .reply(.chunkAccepted(octets: 5)))
        #expect(send(&session, "NOOP") == .reply(.noopOK))
        #expect(send(&session, "BDAT 3 LAST") == .readChunk(size: 3, last: true, accepted: true))
        guard case .store = session.chunkEnded(problems: []) else { Issue.record("LAST did not store"); return }
    }

    @Test func bdatWithoutTransactionIsReadAndRefused() {
        var session = self.session()
        _ = send(&session, "EHLO c")
        #expect(send(&session, "BDAT 4 LAST") == .readChunk(size: 4, last: true, accepted: false))
        #expect(code(session.chunkEnded(problems: [])) == "503 5.5.1")
        #expect(session.phase == .ready(.ehlo("c"), nil))
    }

    @Test func otherCommandBetweenChunksAbortsTransaction() {
        var session = self.session()
        for line in ["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"] { _ = send(&session, line) }
        _ = session.recipientVerdict(.accept("x"))
        _ = send(&session, "BDAT 2")
        _ = session.chunkEnded(problems: [])
        #expect(code(send(&session, "MAIL FROM:<a@b>")) == "503 5.5.1")
        #expect(session.envelope == nil)
    }

    @Test func rsetDuringChunksDiscardsContent() {
        var session = self.session()
        for line in ["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"] { _ = send(&session, line) }
        _ = session.recipientVerdict(.accept("x"))
        _ = send(&session, "BDAT 2")
        _ = session.chunkEnded(problems: [])
        #expect(send(&session, "RSET") == .discardContent(then: .resetOK))
    }

    @Test func heloResetsTransaction() {
        var session = self.session()
        for line in ["EHLO c", "MAIL FROM:<a@b>", "EHLO d"] { _ = send(&session, line) }
        #expect(session.envelope == nil)
        #expect(code(send(&session, "MAIL FROM:<a@b>")) == "250 2.1.0")
    }

    @Test func traceHeadersForOneAndSeveralRecipients() {
        var trace = TraceHeaders(
            reversePath: .null, clientName: "client (evil)", clientAddress: "192.0.2.1", serverName: "mx.test",
            protocolName: "ESMTP", id: "ID1", singleRecipient: SMTPMailbox(localPart: "a", domain: "b"),
            date: "Sun, 29 Nov 2026 19:20:49 +0000")
        #expect(trace.rendered == "Return-Path: <>\nReceived: from client__evil_ ([192.0.2.1])\n\tby mx.test (Tsubame) with ESMTP id ID1\n\tfor <a@b>; Sun, 29 Nov 2026 19:20:49 +0000\n")
        trace.singleRecipient = nil
        #expect(trace.rendered.hasSuffix("id ID1;\n\tSun, 29 Nov 2026 19:20:49 +0000\n"))
    }
}

@Suite("STARTTLS in the SMTP session")
struct StartTLSSessionTests {
    func session(available: Bool = true, required: Bool = false, active: Bool = false) -> SMTPSession<String> {
        SMTPSession(configuration: SMTPSessionConfiguration(
            hostname: "mx.test", maximumMessageSize: 1000, maximumRecipients: 5, maximumErrors: 10,
            startTLSAvailable: available, tlsRequired: required, tlsActive: active))
    }

    func send(_ session: inout SMTPSession<String>, _ line: String) -> SMTPSession<String>.Action {
        session.receive(SMTPCommandParser.parse(Array(line.utf8)))
    }

    @Test func advertisesAndStartsTLS() {
        var session = session()
        guard case .reply(let ehlo) = send(&session, "EHLO c") else { Issue.record("no EHLO reply"); return }
        #expect(ehlo.lines.contains("STARTTLS"))
        #expect(send(&session, "STARTTLS") == .startTLS(SMTPReply(220, "2.0.0", "Ready to start TLS")))
        var secured = session.afterTLSHandshake()
        #expect(secured.greeting == nil)
        #expect(send(&secured, "MAIL FROM:<a@b>") == .reply(.badSequence("send EHLO or HELO first")))
        guard case .reply(let again) = send(&secured, "EHLO c") else { Issue.record("no EHLO reply"); return }
        #expect(!again.lines.contains("STARTTLS"))
        #expect(send(&secured, "STARTTLS") == .reply(.badSequence("TLS is already active")))
        _ = send(&secured, "MAIL FROM:<a@b>")
        #expect(secured.protocolName == "ESMTPS")
    }

    @Test func requiredTLSRefusesTransactionsFirst() {
        var session = session(required: true)
        _ = send(&session, "EHLO c")
        #expect(send(&session, "NOOP") == .reply(.noopOK))
        #expect(send(&session, "MAIL FROM:<a@b>") == .reply(.tlsRequired))
        #expect(send(&session, "VRFY x") == .reply(.tlsRequired))
    }

    @Test func notOfferedWithoutCertificate() {
        var session = session(available: false)
        guard case .reply(let ehlo) = send(&session, "EHLO c") else { Issue.record("no EHLO reply"); return }
        #expect(!ehlo.lines.contains("STARTTLS"))
        #expect(send(&session, "STARTTLS") == .reply(SMTPReply(502, "5.5.1", "STARTTLS not available")))
    }

    @Test func traceHeaderNamesTheTLSSession() {
        let trace = TraceHeaders(reversePath: .null, clientName: "c", clientAddress: "192.0.2.1", serverName: "mx",
                                 protocolName: "ESMTPS", id: "ID", singleRecipient: nil, date: "D",
                                 tls: "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256")
        #expect(trace.rendered == "Return-Path: <>\nReceived: from c ([192.0.2.1])\n\t(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256)\n\tby mx (Tsubame) with ESMTPS id ID;\n\tD\n")
    }
}

@Suite("TLS ServerHello")
struct TLSServerHelloTests {
    @Test func readsTheCipherSuite() {
        var hello: [UInt8] = [22, 3, 3, 0, 80, 2, 0, 0, 76, 3, 3]
        hello += [UInt8](repeating: 7, count: 32)        // random
        hello += [4, 1, 2, 3, 4]                          // session id of 4 octets
        hello += [0x13, 0x01, 0]                          // cipher suite, compression
        #expect(TLSServerHello.cipherSuite(in: hello) == 0x1301)
        #expect(TLSServerHello.name(ofCipherSuite: 0x1301) == "TLS_AES_128_GCM_SHA256")
        #expect(TLSServerHello.cipherSuite(in: Array(hello.prefix(40))) == nil)
        #expect(TLSServerHello.cipherSuite(in: [23] + hello.dropFirst()) == nil)
    }
}
