/// Limits and identity a session needs; all come from the configuration.
public struct SMTPSessionConfiguration: Sendable, Equatable {
    public var hostname: String
    public var maximumMessageSize: Int
    public var maximumRecipients: Int
    public var maximumErrors: Int
    /// STARTTLS can be offered (a certificate is loaded and the listener allows it).
    public var startTLSAvailable = false
    /// Mail transactions need TLS first (RFC 3207 §4: 530 5.7.0).
    public var tlsRequired = false
    /// The connection is encrypted (after STARTTLS, or implicit TLS).
    public var tlsActive = false

    public init(hostname: String, maximumMessageSize: Int, maximumRecipients: Int, maximumErrors: Int,
                startTLSAvailable: Bool = false, tlsRequired: Bool = false, tlsActive: Bool = false) {
        self.hostname = hostname
        self.maximumMessageSize = maximumMessageSize
        self.maximumRecipients = maximumRecipients
        self.maximumErrors = maximumErrors
        self.startTLSAvailable = startTLSAvailable
        self.tlsRequired = tlsRequired
        self.tlsActive = tlsActive
    }
}

/// What the session learned about one recipient from the account directory.
public enum RecipientVerdict<Destination: Sendable & Equatable>: Sendable, Equatable {
    case accept(Destination)
    case unknownUser
    case relayDenied
    case temporaryFailure
}

/// One accepted recipient: the address as given and where it resolved to.
public struct SMTPRecipient<Destination: Sendable & Equatable>: Sendable, Equatable {
    public var address: SMTPMailbox
    public var destination: Destination
}

/// The envelope of the transaction in progress (RFC 5321 §2.3.1).
public struct SMTPEnvelope<Destination: Sendable & Equatable>: Sendable, Equatable {
    public var reversePath: SMTPReversePath
    public var recipients: [SMTPRecipient<Destination>] = []
    public var bodyType: SMTPBodyType = .sevenBit
    public var smtputf8 = false
    public var declaredSize: Int?
}

/// The SMTP server session as a pure state machine (RFC 5321 §4.1.4 ordering rules).
///
/// The channel handler feeds it events (a command, the result of a directory lookup, the end of
/// the content, the result of storing) and executes the `Action` it returns. It knows nothing
/// of sockets, disks or clocks. `Destination` is whatever the directory resolves a recipient to.
public struct SMTPSession<Destination: Sendable & Equatable>: Sendable {
    public enum Greeting: Sendable, Equatable {
        case helo(String)
        case ehlo(String)

        public var name: String {
            switch self {
            case .helo(let name), .ehlo(let name): return name
            }
        }
    }

    public enum Phase: Sendable, Equatable {
        case awaitingGreeting
        case ready
        case awaitingRecipientVerdict
        case receivingData
        /// Between BDAT chunks (RFC 3030 §3): only BDAT, RSET, NOOP and QUIT make sense.
        case receivingChunks
        case readingChunk(last: Bool, accepted: Bool)
        case awaitingStorage
        case closed
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
        case store(SMTPEnvelope<Destination>)
        /// The transaction was abandoned (RSET, a new HELO, a rejected chunk): drop stored content.
        case discardContent(then: SMTPReply)
        /// Send the 220, then start TLS before reading anything more (RFC 3207 §4). Input
        /// already buffered behind STARTTLS is an injection attempt: close instead.
        case startTLS(SMTPReply)
    }

    public let configuration: SMTPSessionConfiguration
    public private(set) var phase = Phase.awaitingGreeting
    public private(set) var greeting: Greeting?
    public private(set) var envelope: SMTPEnvelope<Destination>?
    public private(set) var errorCount = 0
    private var pendingRecipient: SMTPMailbox?
    /// Octets announced by BDAT so far, so an oversized message is known early.
    private var chunkedOctets = 0
    private var chunkFailed: SMTPReply?

    public init(configuration: SMTPSessionConfiguration) {
        self.configuration = configuration
    }

    /// The protocol name for the Received header (RFC 3848; RFC 6531 §3.7.3 for UTF8SMTP).
    public var protocolName: String {
        guard case .ehlo = greeting else { return "SMTP" }
        let base = envelope?.smtputf8 == true ? "UTF8SMTP" : "ESMTP"
        return configuration.tlsActive ? base + "S" : base
    }

    /// The session after a successful TLS handshake: everything learned before is forgotten
    /// and the client must say EHLO again (RFC 3207 §4.2).
    public func afterTLSHandshake() -> SMTPSession {
        var configuration = configuration
        configuration.tlsActive = true
        configuration.startTLSAvailable = false
        var fresh = SMTPSession(configuration: configuration)
        fresh.errorCount = errorCount
        return fresh
    }

    /// True while a message is being received or stored; a graceful shutdown lets it finish.
    public var isInMessageTransfer: Bool {
        switch phase {
        case .receivingData, .receivingChunks, .readingChunk, .awaitingStorage: return true
        default: return false
        }
    }

    // MARK: Commands

    public mutating func receive(_ parsed: Result<SMTPCommand, SMTPCommandSyntaxError>) -> Action {
        switch parsed {
        case .success(let command): return receive(command)
        case .failure(let error):
            if case .receivingChunks = phase { abandonChunks() }
            return fail(.syntaxError(error.reason))
        }
    }

    public mutating func receive(_ command: SMTPCommand) -> Action {
        if case .receivingChunks = phase {
            switch command {
            case .bdat, .rset, .noop, .quit: break
            default:
                // RFC 3030 §3: anything else between chunks ends the transaction.
                abandonChunks()
                return fail(.badSequence("only BDAT, RSET, NOOP or QUIT may follow a BDAT chunk"))
            }
        }
        if configuration.tlsRequired && !configuration.tlsActive {
            switch command {
            case .ehlo, .helo, .starttls, .noop, .rset, .quit: break
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
        case .ehlo(let name), .helo(let name):
            // RFC 5321 §4.1.4: EHLO/HELO resets the transaction.
            let isExtended: Bool
            if case .ehlo = command { isExtended = true } else { isExtended = false }
            greeting = isExtended ? .ehlo(name) : .helo(name)
            let reply = isExtended ? ehloReply(for: name) : SMTPReply(250, nil, "\(configuration.hostname) Hello \(name)")
            return resetTransaction(then: reply)

        case .mail(let reversePath, let parameters):
            guard greeting != nil else { return fail(.badSequence("send EHLO or HELO first")) }
            guard envelope == nil else { return fail(.badSequence("nested MAIL command")) }
            return beginTransaction(reversePath, parameters)

        case .rcpt(let mailbox, let parameters):
            guard let envelope else { return fail(.badSequence("send MAIL first")) }
            if let unsupported = parameters.first { return fail(.parameterNotImplemented(unsupported.keyword)) }
            // RFC 6531 §3.4: a non-ASCII address needs SMTPUTF8 on MAIL.
            guard mailbox.isASCII || envelope.smtputf8 else { return fail(.nonASCIIWithoutSMTPUTF8) }
            // RFC 5321 §4.5.3.1.8: at least 100 recipients must be accepted; beyond the limit 452.
            guard envelope.recipients.count < configuration.maximumRecipients else {
                return .reply(.tooManyRecipients)
            }
            pendingRecipient = mailbox
            phase = .awaitingRecipientVerdict
            return .verifyRecipient(mailbox)

        case .data:
            guard let envelope else { return fail(.badSequence("send MAIL first")) }
            // RFC 2920 §3.1: DATA after RCPTs that all failed gets 554.
            guard !envelope.recipients.isEmpty else { return fail(.noValidRecipients) }
            phase = .receivingData
            return .startData(.startData)

        case .bdat(let size, let last):
            return beginChunk(size: size, last: last)

        case .rset:
            return resetTransaction(then: .resetOK)
        case .noop:
            return .reply(.noopOK)
        case .quit:
            phase = .closed
            return .close(.bye(hostname: configuration.hostname))
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

    /// Framing errors found before a command could be parsed.
    public mutating func receiveLineTooLong() -> Action { fail(.lineTooLong) }
    public mutating func receiveBareLineEnding() -> Action { fail(.bareLineEndingInCommand) }

    // MARK: Results of the handler's work

    public mutating func recipientVerdict(_ verdict: RecipientVerdict<Destination>) -> Action {
        guard case .awaitingRecipientVerdict = phase, let mailbox = pendingRecipient else {
            preconditionFailure("recipient verdict without a pending RCPT")
        }
        pendingRecipient = nil
        phase = .ready
        switch verdict {
        case .accept(let destination):
            envelope?.recipients.append(SMTPRecipient(address: mailbox, destination: destination))
            return .reply(.recipientOK)
        case .unknownUser:
            return fail(.unknownUser)
        case .relayDenied:
            return fail(.relayDenied)
        case .temporaryFailure:
            return .reply(.directoryUnavailable)
        }
    }

    /// The DATA content reached CRLF.CRLF.
    public mutating func contentEnded(problems: MessageContentDecoder.Problems) -> Action {
        guard case .receivingData = phase else { preconditionFailure("content end outside DATA") }
        return finishContent(problems: problems)
    }

    /// All octets of the current BDAT chunk were read.
    public mutating func chunkEnded(problems: MessageContentDecoder.Problems) -> Action {
        guard case .readingChunk(let last, let accepted) = phase else { preconditionFailure("chunk end outside BDAT") }
        guard accepted else {
            phase = .ready
            let reply = chunkFailed ?? .badSequence("BDAT not expected here")
            chunkFailed = nil
            return fail(reply)
        }
        if last { return finishContent(problems: problems) }
        phase = .receivingChunks
        return .reply(.chunkAccepted(octets: chunkedOctets))
    }

    /// The store reported the outcome of delivering the message.
    public mutating func storageCompleted(_ result: Result<String, StorageFailure>) -> Action {
        guard case .awaitingStorage = phase else { preconditionFailure("storage result outside a delivery") }
        envelope = nil
        phase = .ready
        switch result {
        case .success(let id): return .reply(.accepted(id: id))
        case .failure: return .reply(.storageFailed)
        }
    }

    public struct StorageFailure: Error, Sendable, Equatable {
        public init() {}
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
        ] + (configuration.startTLSAvailable && !configuration.tlsActive ? ["STARTTLS"] : []) // RFC 3207
          + ["HELP"])
    }

    private mutating func beginTransaction(_ reversePath: SMTPReversePath, _ parameters: [SMTPParameter]) -> Action {
        var envelope = SMTPEnvelope<Destination>(reversePath: reversePath)
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
            default:
                return fail(.parameterNotImplemented(parameter.keyword))
            }
        }
        guard reversePath.isASCII || envelope.smtputf8 else { return fail(.nonASCIIWithoutSMTPUTF8) }
        self.envelope = envelope
        phase = .ready
        return .reply(.senderOK)
    }

    private mutating func beginChunk(size: Int, last: Bool) -> Action {
        // The octets must be read whatever the verdict, or they would be taken as commands.
        if greeting == nil {
            chunkFailed = .badSequence("send EHLO first")
        } else if envelope == nil {
            chunkFailed = .badSequence("send MAIL first")
        } else if envelope?.recipients.isEmpty == true {
            chunkFailed = .noValidRecipients
        }
        if chunkFailed != nil {
            abandonChunks()
            phase = .readingChunk(last: last, accepted: false)
            return .readChunk(size: size, last: last, accepted: false)
        }
        chunkedOctets += size
        phase = .readingChunk(last: last, accepted: true)
        return .readChunk(size: size, last: last, accepted: true)
    }

    private mutating func finishContent(problems: MessageContentDecoder.Problems) -> Action {
        chunkedOctets = 0
        // Size first: RFC 1870 §6 names 552 for it; then the content's form.
        let rejection: SMTPReply? =
            problems.contains(.tooLarge) ? .messageTooBig
            : problems.contains(.bareLineEnding) ? .bareLineEndingInMessage
            : problems.contains(.lineTooLong) ? .messageLineTooLong
            : nil
        if let rejection {
            envelope = nil
            phase = .ready
            errorCount += 1
            return errorCount >= configuration.maximumErrors ? closeForErrors() : .discardContent(then: rejection)
        }
        guard let envelope else { preconditionFailure("content without an envelope") }
        phase = .awaitingStorage
        return .store(envelope)
    }

    private mutating func abandonChunks() {
        envelope = nil
        chunkedOctets = 0
        phase = .ready
    }

    private mutating func resetTransaction(then reply: SMTPReply) -> Action {
        let hadContent = isInMessageTransfer
        envelope = nil
        chunkedOctets = 0
        pendingRecipient = nil
        phase = greeting == nil ? .awaitingGreeting : .ready
        return hadContent ? .discardContent(then: reply) : .reply(reply)
    }

    /// Replies with an error and counts it; past the limit, closes with 421 (RFC 5321 §4.2.2).
    private mutating func fail(_ reply: SMTPReply) -> Action {
        errorCount += 1
        if phase == .awaitingGreeting || phase == .receivingChunks { /* keep phase */ } else if phase != .closed {
            phase = envelope == nil && greeting == nil ? .awaitingGreeting : .ready
        }
        if errorCount >= configuration.maximumErrors { return closeForErrors() }
        return .reply(reply)
    }

    private mutating func closeForErrors() -> Action {
        phase = .closed
        return .close(.tooManyErrors(hostname: configuration.hostname))
    }
}
