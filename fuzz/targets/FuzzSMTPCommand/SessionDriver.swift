import SASL
import SMTPProtocol

/// Plays the channel handler's part for an `SMTPSession`: executes each action, answering
/// the session's questions from the fuzzer's bytes, and checks what the session does.
/// It uses only the session's actions (not its internal phases), so it holds for any
/// implementation of the same protocol.
struct SessionDriver {
    private var session: SMTPSession<Int>
    private let answers: [UInt8]
    private var turn = 0
    private(set) var isOpen = true
    /// What the client has been told: the model the checks compare against.
    private var greeted = false
    private var inTransaction = false
    private var recipients = 0
    /// After a BDAT chunk that was not the last (RFC 3030 §3).
    private var betweenChunks = false
    /// AUTH answered 235 (RFC 4954 §4).
    private var authenticated = false

    init(settings: UInt8, answers: [UInt8]) {
        var configuration = SMTPSessionConfiguration(
            hostname: "mx.test", maximumMessageSize: 1 << 20,
            maximumRecipients: Int(settings & 0x03) + 1,
            maximumErrors: Int(settings >> 4) + 1,
            startTLSAvailable: settings & 0x04 != 0,
            tlsRequired: settings & 0x08 != 0,
            // The listener's AUTH role from the first answer byte, so older seeds keep their meaning.
            authentication: [.notOffered, .offered, .required, .required][Int(answers[0] & 0x03)],
            authenticationBeforeTLSAllowed: answers[0] & 0x04 != 0)
        configuration.checksMessages = answers[0] & 0x08 != 0
        session = SMTPSession(configuration: configuration)
        self.answers = answers
    }

    private mutating func answer() -> UInt8 {
        defer { turn += 1 }
        return answers[turn % answers.count] &+ UInt8(truncatingIfNeeded: turn / answers.count)
    }

    private var mailForbidden: Bool {
        session.configuration.tlsRequired && !session.configuration.tlsActive
    }

    mutating func receive(_ parsed: Result<SMTPCommand, SMTPCommandSyntaxError>) {
        let action = session.receive(parsed)
        if betweenChunks {
            // RFC 3030 §3: anything but BDAT, RSET, NOOP or QUIT ends the transaction.
            switch parsed {
            case .success(.bdat), .success(.noop), .success(.quit), .success(.rset): break
            default: endTransaction()
            }
        }
        if case .success(let command) = parsed {
            switch command {
            case .ehlo, .helo:
                if case .reply(let reply) = action, reply.code == 250 {
                    greeted = true
                    endTransaction()
                }
            case .mail:
                if case .reply(let reply) = action, reply.code == 250 {
                    precondition(greeted, "MAIL accepted before EHLO/HELO")
                    precondition(!inTransaction, "nested MAIL accepted")
                    precondition(!mailForbidden, "MAIL accepted before STARTTLS on a TLS-required listener")
                    precondition(!authenticated, "MAIL of an authenticated session accepted without a sender check")
                    mailAccepted()
                }
            case .rset:
                endTransaction()
            default:
                break
            }
        }
        execute(action)
    }

    mutating func receiveLineTooLong() { execute(session.receiveLineTooLong()) }
    mutating func receiveBareLineEnding() { execute(session.receiveBareLineEnding()) }

    /// The next line is a SASL response rather than a command.
    var expectsSASLResponse: Bool { session.expectedInput == .saslResponse }
    mutating func receiveSASLResponse(_ line: [UInt8]) { execute(session.saslResponse(line)) }
    mutating func receiveSASLResponseTooLong() { execute(session.saslResponseTooLong()) }
    mutating func receiveSASLBareLineEnding() { execute(session.saslResponseBareLineEnding()) }

    private mutating func mailAccepted() {
        precondition(session.configuration.authentication != .required || authenticated,
                     "MAIL accepted before AUTH where it is required")
        inTransaction = true
        recipients = 0
    }

    private mutating func loginVerdict() -> LoginVerdict {
        switch answer() % 3 {
        case 0: return .verified(account: "user@test")
        case 1: return .rejected
        default: return .temporaryFailure
        }
    }

    /// Keys for the password "pencil" (RFC 7677's), or a failed lookup.
    private static let credentials = SCRAMCredentials.derive(password: "pencil", salt: Array("salt".utf8), iterations: 4096)

    private mutating func execute(_ first: SMTPSession<Int>.Action) {
        var next: SMTPSession<Int>.Action? = first
        while let action = next {
            next = nil
            switch action {
            case .reply(let reply):
                check(reply)
            case .close(let reply):
                check(reply)
                isOpen = false
            case .startTLS(let reply):
                check(reply)
                precondition(session.configuration.startTLSAvailable && !session.configuration.tlsActive,
                             "STARTTLS started where it is not offered")
                // The handler closes when input is buffered behind STARTTLS; here the
                // handshake always succeeds and the session starts over (RFC 3207 §4.2).
                session = session.afterTLSHandshake()
                greeted = false
                authenticated = false
                endTransaction()
            case .verifyRecipient:
                precondition(inTransaction, "RCPT looked up without MAIL")
                precondition(!mailForbidden, "RCPT looked up before STARTTLS on a TLS-required listener")
                let verdict: RecipientVerdict<Int>
                switch answer() % 4 {
                case 0, 1: verdict = .accept(recipients)
                case 2: verdict = .unknownUser
                default: verdict = .temporaryFailure
                }
                let result = session.recipientVerdict(verdict)
                if case .accept = verdict, case .reply(let reply) = result, reply.code == 250 {
                    recipients += 1
                    precondition(recipients <= session.configuration.maximumRecipients, "more recipients than the limit")
                }
                next = result
            case .startData(let reply):
                check(reply)
                precondition(reply.code == 354, "DATA started with \(reply.code)")
                precondition(inTransaction && recipients > 0, "DATA started without MAIL and an accepted RCPT")
                precondition(!mailForbidden, "DATA started before STARTTLS on a TLS-required listener")
                next = finishContent(session.contentEnded(problems: problems()), clean: lastProblemsClean)
            case .readChunk(_, let last, let accepted):
                if accepted {
                    precondition(inTransaction && recipients > 0, "BDAT chunk accepted without MAIL and an accepted RCPT")
                    precondition(!mailForbidden, "BDAT chunk accepted before STARTTLS on a TLS-required listener")
                } else {
                    endTransaction()  // a refused chunk abandons the transaction
                }
                let result = finishContent(session.chunkEnded(problems: problems()), clean: lastProblemsClean)
                if accepted, !last, case .reply(let reply) = result, reply.code == 250 { betweenChunks = true }
                next = result
            case .store(let envelope):
                precondition(!envelope.recipients.isEmpty, "store without recipients")
                precondition(envelope.recipients.count == recipients, "store with \(envelope.recipients.count) recipients, \(recipients) accepted")
                checkDSN(envelope)
                endTransaction()
                next = session.storageCompleted(answer() & 1 == 0 ? .success("id") : .failure(.init()))
            case .discardContent(let reply):
                check(reply)
                endTransaction()
            case .verifyPassword, .lookUpCredentials:
                precondition(session.configuration.authenticationAvailable, "AUTH where it is not offered")
                precondition(!inTransaction && !authenticated, "AUTH in a transaction or after a login")
                if case .verifyPassword = action {
                    next = session.loginVerdict(loginVerdict())
                } else {
                    next = session.credentialsFound(answer() & 1 == 0 ? Self.credentials : nil)
                }
            case .finishSCRAM:
                next = session.loginVerdict(loginVerdict())
            case .authenticated(let reply, _, _):
                check(reply)
                precondition(reply.code == 235, "login answered \(reply.code)")
                precondition(session.configuration.authenticationAvailable, "a login where AUTH is not offered")
                authenticated = true
            case .authenticationFailed(_, let then):
                next = then
            case .authorizeSender:
                precondition(authenticated, "a sender check without a login")
                let verdicts: [SenderVerdict] = [.accept, .accept, .notOwned, .messageLimitReached, .temporaryFailure]
                let result = session.senderVerdict(verdicts[Int(answer()) % verdicts.count])
                if case .reply(let reply) = result, reply.code == 250 { mailAccepted() }
                next = result
            case .checkHeaderSenders:
                precondition(authenticated, "a header check without a login")
                let verdicts: [HeaderSenderVerdict] = [.accept, .accept, .notOwned, .unreadable, .temporaryFailure]
                let verdict = verdicts[Int(answer()) % verdicts.count]
                let result = session.headerSenderVerdict(verdict)
                if case .store = result { precondition(verdict == .accept, "stored with a refused header From") }
                next = result
            case .checkMessage:
                precondition(!authenticated && session.configuration.checksMessages, "a submission or unchecked listener checked")
                let verdicts: [MessageVerdict] = [.accept, .refuse(SMTPReply(550, "5.7.1", "DMARC")),
                                                  .refuse(SMTPReply(451, "4.7.0", "later"))]
                let verdict = verdicts[Int(answer()) % verdicts.count]
                let result = session.messageVerdict(verdict)
                if case .store = result { precondition(verdict == .accept, "stored a refused message") }
                next = result
            }
        }
    }

    /// RFC 3461 §4: only well-formed DSN values reach the store (the queue keeps them as they are).
    private func checkDSN(_ envelope: SMTPEnvelope<Int>) {
        if let id = envelope.envelopeID { precondition(DSNEnvelopeID.isValid(id), "stored ENVID \(id)") }
        for recipient in envelope.recipients {
            if let notify = recipient.dsn.notify {
                precondition(DSNNotify(parameterValue: notify.parameterValue) == notify, "stored NOTIFY \(notify)")
            }
            if let original = recipient.dsn.originalRecipient {
                precondition(DSNOriginalRecipient(parameterValue: original.parameterValue) == original, "stored ORCPT \(original)")
            }
        }
    }

    private mutating func endTransaction() {
        inTransaction = false
        recipients = 0
        betweenChunks = false
    }

    private var lastProblemsClean = true

    private mutating func problems() -> MessageContentDecoder.Problems {
        let byte = answer()
        let problems = byte & 0xF0 == 0 ? MessageContentDecoder.Problems(rawValue: byte & 0x07) : []
        lastProblemsClean = problems.isEmpty
        return problems
    }

    /// Content with problems is never stored.
    private func finishContent(_ action: SMTPSession<Int>.Action, clean: Bool) -> SMTPSession<Int>.Action {
        if case .store = action { precondition(clean, "content with problems was stored") }
        return action
    }

    /// RFC 5321 §4.2: a three-digit code; RFC 3463 / RFC 2034: an enhanced code, when given,
    /// has the class of the reply (2, 4 or 5); and no line may break the reply's framing.
    private func check(_ reply: SMTPReply) {
        precondition((200...599).contains(reply.code), "reply code \(reply.code)")
        if let enhanced = reply.enhanced {
            let parts = enhanced.split(separator: ".", omittingEmptySubsequences: false)
            precondition(parts.count == 3 && parts[0] == "\(reply.code / 100)" && [2, 4, 5].contains(reply.code / 100),
                         "enhanced code \(enhanced) on a \(reply.code) reply")
        }
        for line in reply.lines {
            precondition(!line.utf8.contains { $0 < 32 || $0 == 127 }, "control character in reply line \(line.debugDescription)")
        }
    }
}
