import SASL

/// The SMTP server session as a pure state machine (RFC 5321 §4.1.4 ordering rules).
///
/// The channel handler feeds it events (a command, the result of a directory lookup, the
/// octets of message content, the result of storing) and executes the `Action` it returns;
/// it asks `expectedInput` what the next bytes are. The session knows nothing of sockets,
/// disks or clocks. `Destination` is whatever the directory resolves a recipient to.
public struct SMTPSession<Destination: Sendable & Equatable>: Sendable {
    public typealias Envelope = SMTPEnvelope<Destination>

    public enum Greeting: Sendable, Equatable {
        case helo(String)
        case ehlo(String)

        public var name: String {
            switch self {
            case .helo(let name), .ehlo(let name): return name
            }
        }
    }

    /// Where the session is, holding the data that exists there and only there: a transaction
    /// needs a greeting, content needs an envelope with recipients, a chunk knows its length.
    public enum Phase: Sendable, Equatable {
        /// Before EHLO or HELO, and again after a TLS handshake (RFC 3207 §4.2).
        case awaitingGreeting
        /// Reading commands; the envelope is the transaction MAIL opened, if any.
        case ready(Greeting, Envelope?)
        /// The directory is being asked about `pending`; `recipientVerdict(_:)` answers. The
        /// RCPT's DSN parameters wait with it, to join the envelope if it is accepted.
        case awaitingRecipientVerdict(Greeting, Envelope, pending: SMTPMailbox, dsn: DSNRecipientParameters)
        /// AUTH in progress (RFC 4954 §4): the next lines are SASL responses, not commands.
        case authenticating(Greeting, AuthenticationExchange)
        /// An authenticated session's MAIL: the handler checks the sender and the account's
        /// message limit; `senderVerdict(_:)` answers.
        case awaitingSenderVerdict(Greeting, Envelope)
        /// The content of an authenticated session's message is complete: the handler checks
        /// the header From; `headerSenderVerdict(_:)` answers.
        case awaitingHeaderVerdict(Greeting, Envelope)
        /// The content of a message from another server is complete: the handler checks SPF,
        /// DKIM and DMARC; `messageVerdict(_:)` answers.
        case awaitingMessageVerdict(Greeting, Envelope)
        /// After the 354: content up to CRLF.CRLF (RFC 5321 §4.1.1.4).
        case receivingData(Greeting, Envelope)
        /// Between BDAT chunks (RFC 3030 §2): only BDAT, RSET, NOOP and QUIT make sense.
        /// `octets` is the length of the message so far.
        case receivingChunks(Greeting, Envelope, octets: Int)
        /// Reading the octets of an accepted BDAT chunk.
        case readingChunk(Greeting, Envelope, Chunk)
        /// Reading the octets of a refused BDAT chunk, only to stay in step with the client;
        /// `refusal` is answered after its last octet.
        case skippingChunk(Greeting?, remaining: Int, refusal: ChunkRefusal)
        /// The content is complete; `storageCompleted(_:)` brings the store's answer.
        case awaitingStorage(Greeting, Envelope)
        case closed
    }

    /// A BDAT chunk being read (RFC 3030 §2).
    public struct Chunk: Sendable, Equatable {
        /// Octets of the chunk not read yet.
        public var remaining: Int
        public var last: Bool
        /// The message's length with this chunk, for the 250 reply after it.
        public var messageOctets: Int
    }

    /// Why the octets of a BDAT chunk are read and dropped.
    public enum ChunkRefusal: Sendable, Equatable {
        /// No transaction to add it to (no EHLO, no MAIL, no valid RCPT, TLS required first).
        case outOfSequence(SMTPReply)
        /// The message would pass the size limit: 552, and the transaction is abandoned
        /// (RFC 1870 §6, RFC 3030 §2).
        case messageTooBig
    }

    /// What the handler should read next.
    public enum ExpectedInput: Sendable, Equatable {
        /// Command lines.
        case commands
        /// DATA content up to CRLF.CRLF; then `contentEnded(problems:)`.
        case dotTerminatedContent
        /// Octets of an accepted chunk, kept as content; report them with
        /// `chunkOctetsRead(_:)`, and the end with `chunkEnded(problems:)`.
        case chunk(remaining: Int, last: Bool)
        /// Octets of a refused chunk, read and dropped; reported like those of `chunk`.
        case skippedChunk(remaining: Int)
        /// One SASL response line (base64 or `*`, RFC 4954 §4): `saslResponse(_:)`.
        case saslResponse
        /// Nothing: the session waits for the handler's work, or is closed.
        case nothing
    }

    public enum Action: Sendable, Equatable {
        case reply(SMTPReply)
        /// Send the reply, then close the connection.
        case close(SMTPReply)
        /// Ask the directory about a recipient; answer with `recipientVerdict(_:)`.
        case verifyRecipient(SMTPMailbox)
        /// Send 354 and read DATA content; call `contentEnded(problems:)` at its end.
        case startData(SMTPReply)
        /// Read `size` octets of BDAT content; keep them only if `accepted`.
        /// Call `chunkEnded(problems:)` after the last octet.
        case readChunk(size: Int, last: Bool, accepted: Bool)
        /// The content is complete and clean: store it; answer with `storageCompleted(_:)`.
        case store(Envelope)
        /// The transaction was abandoned with its content (RSET or another command between
        /// chunks, rejected content): drop what was received, if anything, then reply.
        case discardContent(then: SMTPReply)
        /// Send the 220, then start TLS before reading anything more (RFC 3207 §4). Input
        /// already buffered behind STARTTLS is an injection attempt: close instead.
        case startTLS(SMTPReply)
        /// PLAIN or LOGIN: check the password; answer with `loginVerdict(_:)`.
        case verifyPassword(SASLMechanism, username: String, password: String)
        /// SCRAM: look up the user's keys; answer with `credentialsFound(_:)`.
        case lookUpCredentials(username: String)
        /// SCRAM: report the proof's verdict to the authenticator (a wrong proof counts as a
        /// failed login); answer with `loginVerdict(_:)`.
        case finishSCRAM(username: String, proofVerified: Bool)
        /// AUTH succeeded: log the login, then send the reply (235).
        case authenticated(SMTPReply, account: String, mechanism: SASLMechanism)
        /// The exchange ended without success: log it, then perform `then` (a reply, or a
        /// close when the error limit is reached).
        indirect case authenticationFailed(AuthenticationFailure, then: Action)
        /// An authenticated session's MAIL: may `account` use this sender (RFC 6409 §4.1), and
        /// has it messages left this hour? Answer with `senderVerdict(_:)`.
        case authorizeSender(account: String, SMTPReversePath)
        /// The content of an authenticated session's message is complete: check every
        /// address of the header From; answer with `headerSenderVerdict(_:)`.
        case checkHeaderSenders(account: String)
        /// The content of an unauthenticated session's message is complete and the listener
        /// checks messages (`checksMessages`): SPF, DKIM, DMARC; answer with `messageVerdict(_:)`.
        case checkMessage
    }

    public let configuration: SMTPSessionConfiguration
    public internal(set) var phase = Phase.awaitingGreeting
    public internal(set) var errorCount = 0
    /// The account AUTH verified. It belongs to the connection, not to a transaction: RSET and
    /// EHLO keep it; only a TLS handshake forgets it (RFC 3207 §4.2).
    public internal(set) var authenticatedAccount: String?
    /// Tests fix the SCRAM server nonce; otherwise the exchange draws a random one.
    var scramServerNonce: String?

    public init(configuration: SMTPSessionConfiguration) {
        self.configuration = configuration
    }

    public var greeting: Greeting? {
        switch phase {
        case .awaitingGreeting, .closed: return nil
        case .skippingChunk(let greeting, _, _): return greeting
        case .ready(let greeting, _), .awaitingRecipientVerdict(let greeting, _, _, _), .receivingData(let greeting, _),
             .receivingChunks(let greeting, _, _), .readingChunk(let greeting, _, _), .awaitingStorage(let greeting, _),
             .authenticating(let greeting, _), .awaitingSenderVerdict(let greeting, _), .awaitingHeaderVerdict(let greeting, _),
             .awaitingMessageVerdict(let greeting, _):
            return greeting
        }
    }

    public var envelope: Envelope? {
        switch phase {
        case .awaitingGreeting, .skippingChunk, .closed, .authenticating: return nil
        case .ready(_, let envelope): return envelope
        case .awaitingRecipientVerdict(_, let envelope, _, _), .receivingData(_, let envelope),
             .receivingChunks(_, let envelope, _), .readingChunk(_, let envelope, _), .awaitingStorage(_, let envelope),
             .awaitingSenderVerdict(_, let envelope), .awaitingHeaderVerdict(_, let envelope),
             .awaitingMessageVerdict(_, let envelope):
            return envelope
        }
    }

    public var expectedInput: ExpectedInput {
        switch phase {
        case .awaitingGreeting, .ready, .receivingChunks: return .commands
        case .receivingData: return .dotTerminatedContent
        case .readingChunk(_, _, let chunk): return .chunk(remaining: chunk.remaining, last: chunk.last)
        case .skippingChunk(_, let remaining, _): return .skippedChunk(remaining: remaining)
        case .authenticating(_, let exchange): return exchange.stage.readsResponse ? .saslResponse : .nothing
        case .awaitingRecipientVerdict, .awaitingStorage, .awaitingSenderVerdict, .awaitingHeaderVerdict,
             .awaitingMessageVerdict, .closed:
            return .nothing
        }
    }

    /// The protocol name for the Received header: RFC 3848 §2 (ESMTPS with TLS, ESMTPA after
    /// AUTH, ESMTPSA with both) and RFC 6531 §3.7.3 (UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA).
    public var protocolName: String {
        guard case .ehlo = greeting else { return "SMTP" }
        let base = envelope?.smtputf8 == true ? "UTF8SMTP" : "ESMTP"
        return base + (configuration.tlsActive ? "S" : "") + (authenticatedAccount != nil ? "A" : "")
    }

    /// True while a message is being received or stored; a graceful shutdown lets it finish.
    public var isInMessageTransfer: Bool {
        switch phase {
        case .receivingData, .receivingChunks, .readingChunk, .skippingChunk, .awaitingStorage, .awaitingHeaderVerdict,
             .awaitingMessageVerdict:
            return true
        case .awaitingGreeting, .ready, .awaitingRecipientVerdict, .authenticating, .awaitingSenderVerdict, .closed:
            return false
        }
    }

    /// The session after a successful TLS handshake: everything learned before is forgotten
    /// and the client must say EHLO again (RFC 3207 §4.2).
    public func afterTLSHandshake() -> SMTPSession {
        var configuration = configuration
        configuration.tlsActive = true
        configuration.startTLSAvailable = false
        var fresh = SMTPSession(configuration: configuration)
        fresh.errorCount = errorCount
        fresh.scramServerNonce = scramServerNonce
        return fresh
    }

    // MARK: Commands

    /// A command line, parsed or not. Only while `expectedInput` is `.commands`.
    /// `inputPending`: the client has already sent more after this line (RFC 2920 §3.1 allows
    /// that for commands, never for DATA's content before the 354).
    public mutating func receive(_ parsed: Result<SMTPCommand, SMTPCommandSyntaxError>,
                                 inputPending: Bool = false) -> Action {
        switch parsed {
        case .success(let command):
            return receive(command, inputPending: inputPending)
        case .failure(let error):
            if case .receivingChunks(let greeting, _, _) = phase {
                return abandonChunks(greeting, reply: .syntaxError(error.reason))
            }
            requireCommandPhase()
            return fail(.syntaxError(error.reason))
        }
    }

    public mutating func receive(_ command: SMTPCommand, inputPending: Bool = false) -> Action {
        switch phase {
        case .receivingChunks(let greeting, let envelope, let octets):
            return receiveBetweenChunks(command, greeting, envelope, octets: octets)
        case .awaitingGreeting, .ready:
            return receiveOutsideContent(command, inputPending: inputPending)
        default:
            preconditionFailure("a command while \(phase)")
        }
    }

    /// Framing errors found before a command could be parsed; a chunked transaction goes on.
    public mutating func receiveLineTooLong() -> Action {
        requireCommandPhase()
        return fail(.lineTooLong)
    }

    public mutating func receiveBareLineEnding() -> Action {
        requireCommandPhase()
        return fail(.bareLineEndingInCommand)
    }

    private mutating func receiveOutsideContent(_ command: SMTPCommand, inputPending: Bool) -> Action {
        if configuration.tlsRequired && !configuration.tlsActive {
            switch command {
            // AUTH gets its own answer, 538 (RFC 4954 §6), below.
            case .ehlo, .helo, .starttls, .noop, .rset, .quit, .auth: break
            case .bdat(let size, let last): return skipChunk(size: size, last: last, refusal: .outOfSequence(.tlsRequired))
            default: return fail(.tlsRequired)
            }
        }
        switch command {
        case .starttls:
            guard !configuration.tlsActive else { return fail(.badSequence("TLS is already active")) }
            guard configuration.startTLSAvailable else { return fail(SMTPReply(502, "5.5.1", "STARTTLS not available")) }
            guard greeting != nil else { return fail(.badSequence("send EHLO first")) }
            phase = .closed  // nothing more is read in plaintext
            return .startTLS(SMTPReply(220, "2.0.0", "Ready to start TLS"))

        case .ehlo(let name):
            // RFC 5321 §4.1.4: EHLO/HELO resets the transaction.
            phase = .ready(.ehlo(name), nil)
            return .reply(ehloReply(for: name))
        case .helo(let name):
            phase = .ready(.helo(name), nil)
            return .reply(SMTPReply(250, nil, "\(configuration.hostname) Hello \(name)"))

        case .mail(let reversePath, let parameters):
            guard case .ready(let greeting, let current) = phase else { return fail(.badSequence("send EHLO or HELO first")) }
            guard current == nil else { return fail(.badSequence("nested MAIL command")) }
            // RFC 6409 §4.3, RFC 4954 §6: submission takes mail from authenticated users only.
            guard configuration.authentication != .required || authenticatedAccount != nil else {
                return fail(.authenticationRequired)
            }
            return beginTransaction(greeting, reversePath, parameters)

        case .auth(let mechanism, let initialResponse):
            return beginAuthentication(mechanism: mechanism, initialResponse: initialResponse)

        case .rcpt(let mailbox, let parameters):
            guard case .ready(let greeting, let envelope?) = phase else { return fail(.badSequence("send MAIL first")) }
            let dsn: DSNRecipientParameters
            switch Self.recipientParameters(parameters) {
            case .success(let parsed): dsn = parsed
            case .failure(let refusal): return fail(refusal.reply)
            }
            // RFC 6531 §3.4: a non-ASCII address needs SMTPUTF8 on MAIL.
            guard mailbox.isASCII || envelope.smtputf8 else { return fail(.nonASCIIWithoutSMTPUTF8) }
            // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; beyond the limit 452.
            guard envelope.recipients.count < configuration.maximumRecipients else {
                return .reply(.tooManyRecipients)
            }
            phase = .awaitingRecipientVerdict(greeting, envelope, pending: mailbox, dsn: dsn)
            return .verifyRecipient(mailbox)

        case .data:
            guard case .ready(let greeting, let envelope?) = phase else { return fail(.badSequence("send MAIL first")) }
            // RFC 2920 §3.1: DATA after RCPTs that all failed gets 554.
            guard !envelope.recipients.isEmpty else { return fail(.noValidRecipients) }
            // RFC 2920 §3.1, RFC 5321 §3.3: DATA may end a pipelined group, but the content must
            // wait for the 354. Content already here was sent blind (spam engines, smuggling
            // attempts): refused and the connection closed, as Postfix's
            // smtpd_forbid_unauth_pipelining does.
            guard !inputPending else {
                phase = .closed
                return .close(.synchronizationError)
            }
            phase = .receivingData(greeting, envelope)
            return .startData(.startData)

        case .bdat(let size, let last):
            return beginChunk(size: size, last: last)

        case .rset:
            phase = greeting.map { .ready($0, nil) } ?? .awaitingGreeting
            return .reply(.resetOK)
        case .noop:
            return .reply(.noopOK)
        case .quit:
            return quit()
        case .vrfy:
            return .reply(.cannotVerify)
        case .help:
            return .reply(.help)
        case .notImplemented(let verb):
            return fail(SMTPReply(502, "5.5.1", "\(verb) not implemented"))
        case .unknown:
            return fail(.unknownCommand)
        }
    }

    /// RFC 3030 §2: between chunks the transaction goes on with BDAT; RSET and QUIT end it,
    /// anything else ends it with an error.
    private mutating func receiveBetweenChunks(_ command: SMTPCommand, _ greeting: Greeting, _ envelope: Envelope,
                                               octets: Int) -> Action {
        switch command {
        case .bdat(let size, let last):
            return acceptChunk(size: size, last: last, greeting, envelope, octets: octets)
        case .noop:
            return .reply(.noopOK)
        case .rset:
            phase = .ready(greeting, nil)
            return .discardContent(then: .resetOK)
        case .quit:
            return quit()
        default:
            return abandonChunks(greeting, reply: .badSequence("only BDAT, RSET, NOOP or QUIT may follow a BDAT chunk"))
        }
    }

    // MARK: Results of the handler's work

    public mutating func recipientVerdict(_ verdict: RecipientVerdict<Destination>) -> Action {
        guard case .awaitingRecipientVerdict(let greeting, var envelope, let mailbox, let dsn) = phase else {
            preconditionFailure("recipient verdict without a pending RCPT")
        }
        switch verdict {
        case .accept(let destination):
            envelope.recipients.append(SMTPRecipient(address: mailbox, destination: destination, dsn: dsn))
            phase = .ready(greeting, envelope)
            return .reply(.recipientOK)
        case .unknownUser:
            phase = .ready(greeting, envelope)
            return fail(.unknownUser)
        case .relayDenied:
            phase = .ready(greeting, envelope)
            return fail(.relayDenied)
        case .temporaryFailure:
            phase = .ready(greeting, envelope)
            return .reply(.directoryUnavailable)
        case .recipientLimitReached:
            phase = .ready(greeting, envelope)
            return .reply(.recipientLimitReached)
        }
    }

    // MARK: Internals

    private func ehloReply(for name: String) -> SMTPReply {
        // RFC 2034 §3: no enhanced codes on EHLO lines (clients parse them as keywords).
        SMTPReply(250, nil, [
            "\(configuration.hostname) Hello \(name)",
            "PIPELINING",                                  // RFC 2920
            "SIZE \(configuration.maximumMessageSize)",   // RFC 1870
            "8BITMIME",                                    // RFC 6152
            "ENHANCEDSTATUSCODES",                         // RFC 2034
            "SMTPUTF8",                                    // RFC 6531
            "CHUNKING",                                    // RFC 3030
            "DSN",                                         // RFC 3461 §4
        ] + (configuration.startTLSAvailable && !configuration.tlsActive ? ["STARTTLS"] : []) // RFC 3207
          // RFC 4954 §3; RFC 8314 §3 and RFC 4954 §4: not before TLS unless plaintext is allowed.
          + (configuration.authenticationAvailable ? ["AUTH " + SASLMechanism.allCases.map(\.rawValue).joined(separator: " ")] : [])
          + ["HELP"])
    }

    private mutating func beginTransaction(_ greeting: Greeting, _ reversePath: SMTPReversePath,
                                           _ parameters: [SMTPParameter]) -> Action {
        var envelope = Envelope(reversePath: reversePath)
        if let repeated = Self.repeatedKeyword(in: parameters) { return fail(ParameterRefusal.repeated(repeated).reply) }
        for parameter in parameters {
            switch (parameter.keyword, parameter.value?.uppercased()) {
            case ("SIZE", let value?):
                // RFC 1870 §6: a declared size above the limit is refused at MAIL.
                guard let size = Int(value), size >= 0, value.utf8.count <= 20 else {
                    return fail(.syntaxError("bad SIZE value"))
                }
                guard size <= configuration.maximumMessageSize else { return fail(.messageTooBig) }
                envelope.declaredSize = size
            case ("BODY", "7BIT"?):
                envelope.bodyType = .sevenBit
            case ("BODY", "8BITMIME"?):
                envelope.bodyType = .eightBitMIME
            case ("SMTPUTF8", nil):
                envelope.smtputf8 = true
            case ("AUTH", _?):
                // RFC 4954 §5: accepted as xtext (RFC 3461 §4, hex digits upper case) or "<>",
                // and trusted for nothing: the identity is the session's own AUTH, if any.
                let value = parameter.value ?? ""
                guard value == "<>" || XText.isValid(value) else { return fail(.syntaxError("bad AUTH value")) }
            case ("RET", _):
                guard let value = parameter.value, let ret = DSNReturn(parameterValue: value) else {
                    return fail(ParameterRefusal.malformed("RET").reply)
                }
                envelope.dsnReturn = ret
            case ("ENVID", _):
                guard let value = parameter.value, DSNEnvelopeID.isValid(value) else {
                    return fail(ParameterRefusal.malformed("ENVID").reply)
                }
                envelope.envelopeID = value
            default:
                return fail(.parameterNotImplemented(parameter.keyword))
            }
        }
        guard reversePath.isASCII || envelope.smtputf8 else { return fail(.nonASCIIWithoutSMTPUTF8) }
        if let account = authenticatedAccount {
            phase = .awaitingSenderVerdict(greeting, envelope)
            return .authorizeSender(account: account, reversePath)
        }
        phase = .ready(greeting, envelope)
        return .reply(.senderOK)
    }

    private mutating func quit() -> Action {
        phase = .closed
        return .close(.bye(hostname: configuration.hostname))
    }

    private func requireCommandPhase() {
        precondition(expectedInput == .commands, "a command line while \(phase)")
    }

    /// Replies with an error and counts it; at the limit, closes with 421 (RFC 5321 §4.2.2).
    mutating func fail(_ reply: SMTPReply) -> Action {
        errorCount += 1
        if errorCount >= configuration.maximumErrors { return closeForErrors() }
        return .reply(reply)
    }

    /// Like `fail(_:)`, for an error that ends a transaction whose content may have been
    /// received: the handler drops it.
    mutating func failDiscardingContent(_ reply: SMTPReply) -> Action {
        errorCount += 1
        if errorCount >= configuration.maximumErrors { return closeForErrors() }
        return .discardContent(then: reply)
    }

    private mutating func closeForErrors() -> Action {
        phase = .closed
        return .close(.tooManyErrors(hostname: configuration.hostname))
    }
}

extension SMTPSession.Phase: CustomStringConvertible {
    /// The phase's name only: logs never carry the envelope's addresses from here.
    public var description: String {
        switch self {
        case .awaitingGreeting: return "awaitingGreeting"
        case .ready: return "ready"
        case .awaitingRecipientVerdict: return "awaitingRecipientVerdict"
        case .authenticating: return "authenticating"
        case .awaitingSenderVerdict: return "awaitingSenderVerdict"
        case .awaitingHeaderVerdict: return "awaitingHeaderVerdict"
        case .awaitingMessageVerdict: return "awaitingMessageVerdict"
        case .receivingData: return "receivingData"
        case .receivingChunks: return "receivingChunks"
        case .readingChunk: return "readingChunk"
        case .skippingChunk: return "skippingChunk"
        case .awaitingStorage: return "awaitingStorage"
        case .closed: return "closed"
        }
    }
}
