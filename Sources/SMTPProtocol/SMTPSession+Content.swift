/// Message content: DATA's end, BDAT chunks, and the store's answer.
extension SMTPSession {
    /// The DATA content reached CRLF.CRLF.
    public mutating func contentEnded(problems: MessageContentDecoder.Problems) -> Action {
        guard case .receivingData(let greeting, let envelope) = phase else { preconditionFailure("content end outside DATA") }
        return finishContent(greeting, envelope, problems: problems)
    }

    /// `count` octets of the current chunk were read (kept or dropped, as `expectedInput` says).
    public mutating func chunkOctetsRead(_ count: Int) {
        switch phase {
        case .readingChunk(let greeting, let envelope, var chunk):
            precondition(count >= 0 && count <= chunk.remaining, "more octets than the chunk holds")
            chunk.remaining -= count
            phase = .readingChunk(greeting, envelope, chunk)
        case .skippingChunk(let greeting, let remaining, let refusal):
            precondition(count >= 0 && count <= remaining, "more octets than the chunk holds")
            phase = .skippingChunk(greeting, remaining: remaining - count, refusal: refusal)
        default:
            preconditionFailure("chunk octets outside BDAT")
        }
    }

    /// The rest of the current BDAT chunk was read: its last octet is in.
    public mutating func chunkEnded(problems: MessageContentDecoder.Problems) -> Action {
        switch phase {
        case .readingChunk(let greeting, let envelope, let chunk):
            if chunk.last { return finishContent(greeting, envelope, problems: problems) }
            phase = .receivingChunks(greeting, envelope, octets: chunk.messageOctets)
            return .reply(.chunkAccepted(octets: chunk.messageOctets))
        case .skippingChunk(let greeting, _, let refusal):
            phase = greeting.map { .ready($0, nil) } ?? .awaitingGreeting
            switch refusal {
            case .outOfSequence(let reply): return fail(reply)
            case .messageTooBig: return failDiscardingContent(.messageTooBig)
            }
        default:
            preconditionFailure("chunk end outside BDAT")
        }
    }

    /// The store reported the outcome of delivering the message.
    public mutating func storageCompleted(_ result: Result<String, StorageFailure>) -> Action {
        guard case .awaitingStorage(let greeting, _) = phase else { preconditionFailure("storage result outside a delivery") }
        phase = .ready(greeting, nil)
        switch result {
        case .success(let id): return .reply(.accepted(id: id))
        case .failure: return .reply(.storageFailed)
        }
    }

    public struct StorageFailure: Error, Sendable, Equatable {
        public init() {}
    }

    // MARK: Internals

    /// BDAT outside a chunked transaction: the first chunk, or one that cannot be taken.
    mutating func beginChunk(size: Int, last: Bool) -> Action {
        switch phase {
        case .ready(let greeting, let envelope?) where !envelope.recipients.isEmpty:
            return acceptChunk(size: size, last: last, greeting, envelope, octets: 0)
        case .ready(_, let envelope):
            // RFC 2920 §3.1 as for DATA: no valid recipients is 554; the transaction ends.
            let reply: SMTPReply = envelope == nil ? .badSequence("send MAIL first") : .noValidRecipients
            return skipChunk(size: size, last: last, refusal: .outOfSequence(reply))
        default:
            return skipChunk(size: size, last: last, refusal: .outOfSequence(.badSequence("send EHLO first")))
        }
    }

    /// A chunk of a transaction with recipients: read and kept, unless the message would pass
    /// the size limit, which is then known before its octets are read (RFC 1870 §6).
    mutating func acceptChunk(size: Int, last: Bool, _ greeting: Greeting, _ envelope: Envelope, octets: Int) -> Action {
        // `octets` never passes the limit, so the subtraction cannot overflow, whatever the size.
        guard size <= configuration.maximumMessageSize - octets else {
            return skipChunk(size: size, last: last, refusal: .messageTooBig)
        }
        phase = .readingChunk(greeting, envelope, Chunk(remaining: size, last: last, messageOctets: octets + size))
        return .readChunk(size: size, last: last, accepted: true)
    }

    /// The octets follow the BDAT line whatever the answer: they must be read, or they would
    /// be taken as commands (RFC 3030 §2). The transaction, if any, ends.
    mutating func skipChunk(size: Int, last: Bool, refusal: ChunkRefusal) -> Action {
        phase = .skippingChunk(greeting, remaining: size, refusal: refusal)
        return .readChunk(size: size, last: last, accepted: false)
    }

    /// A command that ends a chunked transaction with an error: the chunks so far are dropped.
    mutating func abandonChunks(_ greeting: Greeting, reply: SMTPReply) -> Action {
        phase = .ready(greeting, nil)
        return failDiscardingContent(reply)
    }

    private mutating func finishContent(_ greeting: Greeting, _ envelope: Envelope,
                                        problems: MessageContentDecoder.Problems) -> Action {
        // Size first: RFC 1870 §6 names 552 for it; then the content's form.
        let rejection: SMTPReply? =
            problems.contains(.tooLarge) ? .messageTooBig
            : problems.contains(.bareLineEnding) ? .bareLineEndingInMessage
            : problems.contains(.lineTooLong) ? .messageLineTooLong
            : nil
        if let rejection {
            phase = .ready(greeting, nil)
            return failDiscardingContent(rejection)
        }
        // RFC 6409 §4.1: a submission server may check the header From against the login.
        if let account = authenticatedAccount {
            phase = .awaitingHeaderVerdict(greeting, envelope)
            return .checkHeaderSenders(account: account)
        }
        if configuration.checksMessages {
            phase = .awaitingMessageVerdict(greeting, envelope)
            return .checkMessage
        }
        phase = .awaitingStorage(greeting, envelope)
        return .store(envelope)
    }

    /// The handler's answer to `.checkMessage`: store, or refuse the message (RFC 7489 §7.3:
    /// a rejection happens in the SMTP transaction, at the end of DATA).
    public mutating func messageVerdict(_ verdict: MessageVerdict) -> Action {
        guard case .awaitingMessageVerdict(let greeting, let envelope) = phase else {
            preconditionFailure("message verdict without a message")
        }
        switch verdict {
        case .accept:
            phase = .awaitingStorage(greeting, envelope)
            return .store(envelope)
        case .refuse(let reply):
            phase = .ready(greeting, nil)
            return reply.code >= 500 ? failDiscardingContent(reply) : .discardContent(then: reply)
        }
    }

    /// The handler's answer to `.checkHeaderSenders`: nothing is stored unless every address
    /// of the header From may be used.
    public mutating func headerSenderVerdict(_ verdict: HeaderSenderVerdict) -> Action {
        guard case .awaitingHeaderVerdict(let greeting, let envelope) = phase else {
            preconditionFailure("header sender verdict without a message")
        }
        switch verdict {
        case .accept:
            phase = .awaitingStorage(greeting, envelope)
            return .store(envelope)
        case .notOwned:
            phase = .ready(greeting, nil)
            return failDiscardingContent(.headerSenderNotOwned)
        case .unreadable:
            phase = .ready(greeting, nil)
            return failDiscardingContent(.headerSenderUnreadable)
        case .temporaryFailure:
            phase = .ready(greeting, nil)
            return .discardContent(then: .directoryUnavailable)
        }
    }
}
