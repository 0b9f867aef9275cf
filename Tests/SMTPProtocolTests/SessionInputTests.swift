import Testing
@testable import SMTPProtocol

/// What the session expects to read, pipelining synchronisation (RFC 2920 §3.1) and BDAT
/// (RFC 3030): the rules the handler only carries out.
@Suite("SMTP session input")
struct SessionInputTests {
    typealias Session = SMTPSession<String>

    static let configuration = SMTPSessionConfiguration(
        hostname: "mx.test", maximumMessageSize: 1000, maximumRecipients: 5, maximumErrors: 5)

    func send(_ session: inout Session, _ line: String, pending: Bool = false) -> Session.Action {
        session.receive(SMTPCommandParser.parse(Array(line.utf8)), inputPending: pending)
    }

    /// EHLO, MAIL and one accepted RCPT.
    func inTransaction(_ configuration: SMTPSessionConfiguration = Self.configuration) -> Session {
        var session = Session(configuration: configuration)
        for line in ["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"] { _ = send(&session, line) }
        _ = session.recipientVerdict(.accept("box"))
        return session
    }

    // MARK: Pipelining synchronisation

    /// (commands before, the line, more input already buffered, the action)
    static let synchronisation: [([String], String, Bool, Session.Action)] = [
        (["EHLO c", "MAIL FROM:<a@b>"], "RCPT TO:<x@y>", true, .verifyRecipient(SMTPMailbox(localPart: "x", domain: "y"))),
        (["EHLO c"], "MAIL FROM:<a@b>", true, .reply(.senderOK)),
        (["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"], "DATA", false, .startData(.startData)),
        (["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"], "DATA", true, .close(.synchronizationError)),
        // no 354 would be sent: the usual refusal, and what follows is read as commands
        (["EHLO c", "MAIL FROM:<a@b>"], "DATA", true, .reply(.noValidRecipients)),
        (["EHLO c"], "DATA", true, .reply(.badSequence("send MAIL first"))),
        // RFC 3030 §2: chunks may be pipelined
        (["EHLO c", "MAIL FROM:<a@b>", "RCPT TO:<x@y>"], "BDAT 4", true, .readChunk(size: 4, last: false, accepted: true)),
    ]

    @Test("content sent before the 354 is refused; pipelined commands and chunks are not",
          arguments: synchronisation)
    func pipeliningSynchronisation(before: [String], line: String, pending: Bool, expected: Session.Action) {
        var session = Session(configuration: Self.configuration)
        for command in before {
            if case .verifyRecipient = send(&session, command) { _ = session.recipientVerdict(.accept("box")) }
        }
        #expect(send(&session, line, pending: pending) == expected)
        if expected == .close(.synchronizationError) {
            #expect(session.phase == .closed)
            #expect(session.expectedInput == .nothing)
        }
    }

    @Test func synchronisationErrorTextNamesThePipeliningError() {
        let reply = SMTPReply.synchronizationError
        #expect(reply.code == 554 && reply.enhanced == "5.5.0")
        #expect(reply.lines == ["Error: SMTP protocol synchronization: data sent before the 354 reply"])
    }

    // MARK: Expected input follows the phase

    @Test func expectedInputThroughADataTransaction() {
        var session = Session(configuration: Self.configuration)
        #expect(session.expectedInput == .commands)
        _ = send(&session, "EHLO c")
        _ = send(&session, "MAIL FROM:<a@b>")
        _ = send(&session, "RCPT TO:<x@y>")
        #expect(session.expectedInput == .nothing)  // the directory is asked
        _ = session.recipientVerdict(.accept("box"))
        guard case .ready(.ehlo("c"), let envelope?) = session.phase else { Issue.record("\(session.phase)"); return }
        #expect(envelope.recipients.map(\.destination) == ["box"])
        _ = send(&session, "DATA")
        #expect(session.expectedInput == .dotTerminatedContent)
        #expect(session.phase == .receivingData(.ehlo("c"), envelope))
        _ = session.contentEnded(problems: [])
        #expect(session.expectedInput == .nothing)  // the store is at work
        _ = session.storageCompleted(.success("ID"))
        #expect(session.phase == .ready(.ehlo("c"), nil))
        #expect(session.expectedInput == .commands)
    }

    @Test func expectedInputCountsDownAChunk() {
        var session = inTransaction()
        _ = send(&session, "BDAT 10")
        #expect(session.expectedInput == .chunk(remaining: 10, last: false))
        session.chunkOctetsRead(4)
        #expect(session.expectedInput == .chunk(remaining: 6, last: false))
        session.chunkOctetsRead(6)
        #expect(session.expectedInput == .chunk(remaining: 0, last: false))
        #expect(session.chunkEnded(problems: []) == .reply(.chunkAccepted(octets: 10)))
        #expect(session.expectedInput == .commands)
        _ = send(&session, "BDAT 5 LAST")
        #expect(session.expectedInput == .chunk(remaining: 5, last: true))
        session.chunkOctetsRead(5)
        guard case .store = session.chunkEnded(problems: []) else { Issue.record("LAST did not store"); return }
    }

    @Test func refusedChunkIsSkippedToItsEnd() {
        var session = Session(configuration: Self.configuration)
        _ = send(&session, "EHLO c")
        #expect(send(&session, "BDAT 7") == .readChunk(size: 7, last: false, accepted: false))
        #expect(session.expectedInput == .skippedChunk(remaining: 7))
        session.chunkOctetsRead(3)
        #expect(session.expectedInput == .skippedChunk(remaining: 4))
        #expect(session.chunkEnded(problems: []) == .reply(.badSequence("send MAIL first")))
        #expect(session.phase == .ready(.ehlo("c"), nil))
    }

    // MARK: BDAT and the size limit (RFC 1870 §6, RFC 3030 §2)

    @Test func chunkPassingTheSizeLimitIsRefusedBeforeItsOctetsAreRead() {
        var session = inTransaction()
        #expect(send(&session, "BDAT 600") == .readChunk(size: 600, last: false, accepted: true))
        #expect(session.chunkEnded(problems: []) == .reply(.chunkAccepted(octets: 600)))
        #expect(send(&session, "BDAT 401") == .readChunk(size: 401, last: false, accepted: false))
        #expect(session.expectedInput == .skippedChunk(remaining: 401))
        #expect(session.chunkEnded(problems: []) == .discardContent(then: .messageTooBig))
        #expect(session.envelope == nil)
        // RFC 3030 §2: chunks already in the pipeline are read and refused
        #expect(send(&session, "BDAT 3 LAST") == .readChunk(size: 3, last: true, accepted: false))
        #expect(session.chunkEnded(problems: []) == .reply(.badSequence("send MAIL first")))
    }

    static let chunkSizes: [([Int], Bool)] = [
        ([1000], true),
        ([1001], false),
        ([600, 400], true),
        ([600, 401], false),
        ([1000, 0], true),
        ([1000, 1], false),
        ([999_999_999_999], false),
        ([600, 999_999_999_999], false),
        ([1000, 999_999_999_999], false),
    ]

    @Test("the last chunk is accepted only within the limit", arguments: chunkSizes)
    func chunkSizesAgainstTheLimit(sizes: [Int], lastAccepted: Bool) {
        var session = inTransaction()
        for size in sizes.dropLast() {
            _ = send(&session, "BDAT \(size)")
            _ = session.chunkEnded(problems: [])
        }
        let last = sizes.last!
        #expect(send(&session, "BDAT \(last)") == .readChunk(size: last, last: false, accepted: lastAccepted))
    }

    @Test func firstChunkOverTheLimitIsRefusedWith552() {
        var session = inTransaction()
        #expect(send(&session, "BDAT 1001 LAST") == .readChunk(size: 1001, last: true, accepted: false))
        #expect(session.chunkEnded(problems: []) == .discardContent(then: .messageTooBig))
        #expect(session.errorCount == 1)
    }

    // MARK: Ending a chunked transaction

    static let commandsBetweenChunks: [(String, SMTPReply)] = [
        ("MAIL FROM:<a@b>", .badSequence("only BDAT, RSET, NOOP or QUIT may follow a BDAT chunk")),
        ("EHLO d", .badSequence("only BDAT, RSET, NOOP or QUIT may follow a BDAT chunk")),
        ("DATA", .badSequence("only BDAT, RSET, NOOP or QUIT may follow a BDAT chunk")),
        ("BDAT x", .syntaxError("use BDAT <chunk-size> [LAST]")),
        ("RSET", .resetOK),
    ]

    @Test("a command that ends a chunked transaction drops its chunks", arguments: commandsBetweenChunks)
    func endingChunkedTransactionDiscardsContent(line: String, reply: SMTPReply) {
        var session = inTransaction()
        _ = send(&session, "BDAT 2")
        _ = session.chunkEnded(problems: [])
        #expect(send(&session, line) == .discardContent(then: reply))
        #expect(session.phase == .ready(.ehlo("c"), nil))
    }

    @Test func framingErrorBetweenChunksKeepsTheTransaction() {
        var session = inTransaction()
        _ = send(&session, "BDAT 2")
        _ = session.chunkEnded(problems: [])
        #expect(session.receiveLineTooLong() == .reply(.lineTooLong))
        #expect(send(&session, "BDAT 1 LAST") == .readChunk(size: 1, last: true, accepted: true))
        guard case .store = session.chunkEnded(problems: []) else { Issue.record("LAST did not store"); return }
    }

    @Test func chunkBeforeRequiredTLSIsReadAndRefused() {
        var session = Session(configuration: SMTPSessionConfiguration(
            hostname: "mx.test", maximumMessageSize: 1000, maximumRecipients: 5, maximumErrors: 5,
            startTLSAvailable: true, tlsRequired: true))
        _ = send(&session, "EHLO c")
        #expect(send(&session, "BDAT 4 LAST") == .readChunk(size: 4, last: true, accepted: false))
        #expect(session.chunkEnded(problems: []) == .reply(.tlsRequired))
    }
}
