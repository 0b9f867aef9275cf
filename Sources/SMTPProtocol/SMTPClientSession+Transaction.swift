/// One mail transaction of the client: MAIL, RCPT for each recipient, DATA, the content
/// (RFC 5321 §3.3), pipelined in one flight when the server offers PIPELINING (RFC 2920).
extension SMTPClientSession {
    /// A command whose reply is still due, in the order sent.
    public enum PendingReply: Sendable, Equatable {
        case reset
        case mail
        case recipient(Int)
        case data
    }

    public struct Transaction: Sendable, Equatable {
        public var message: SMTPOutboundMessage
        var mailParameters: [SMTPParameter]
        var pipelined: Bool
        /// Replies due, first to come first.
        public internal(set) var expected: [PendingReply] = []
        /// Per recipient; nil while open.
        var results: [SMTPRecipientResult?]
        /// Recipients whose RCPT got a 2xx, waiting for the final reply.
        var accepted: [Int] = []
        /// RSET or MAIL was refused: every recipient gets this reply.
        var refusal: SMTPReply?
        /// Whether MAIL is out (without PIPELINING, RSET goes alone first).
        var mailSent = false

        /// All results; open ones must have been settled before.
        var finalResults: [SMTPRecipientResult] { results.compactMap { $0 } }

        /// Settles every open recipient (accepted ones too: they are not delivered yet).
        mutating func settleAll(status: SMTPDeliveryStatus, reply: SMTPReply, remote: Bool) {
            for index in results.indices where results[index] == nil {
                results[index] = SMTPRecipientResult(recipient: message.recipients[index].mailbox, status: status,
                                                     reply: reply, remote: remote)
            }
        }

        func command(for pending: PendingReply, capabilities: SMTPServerCapabilities) -> SMTPCommand {
            switch pending {
            case .reset: return .rset
            case .mail: return .mail(message.reversePath, mailParameters)
            case .recipient(let index):
                let recipient = message.recipients[index]
                // RFC 3461 §4: NOTIFY and ORCPT only to a server that announced DSN.
                return .rcpt(recipient.mailbox, capabilities.dsn ? recipient.dsn.parameters : [])
            case .data: return .data
            }
        }
    }

    /// Starts a transaction; only when `ready`. A message the server cannot take (SIZE,
    /// 8BITMIME, SMTPUTF8) fails at once without a command sent.
    public mutating func start(_ message: SMTPOutboundMessage) -> [SMTPClientAction] {
        guard phase == .ready else {
            let reply = SMTPReply(451, "4.3.0", "the connection was not ready for a transaction")
            let results = message.recipients.map {
                SMTPRecipientResult(recipient: $0.mailbox, status: .deferred, reply: reply, remote: false)
            }
            return [.transactionFinished(results)]
        }
        if let refusal = refusal(of: message) {
            let results = message.recipients.map {
                SMTPRecipientResult(recipient: $0.mailbox, status: .failed, reply: refusal, remote: false)
            }
            return [.transactionFinished(results), .ready]
        }
        if message.recipients.isEmpty { return [.transactionFinished([]), .ready] }

        var transaction = Transaction(message: message, mailParameters: mailParameters(for: message).parameters,
                                      pipelined: capabilities.pipelining,
                                      results: Array(repeating: nil, count: message.recipients.count))
        // RSET between transactions on one connection (RFC 5321 §4.1.1.5), so nothing of
        // the previous one lingers whatever became of it.
        var flight: [PendingReply] = transactionsStarted > 0 ? [.reset] : []
        transactionsStarted += 1
        if transaction.pipelined {
            // RFC 2920 §3.1: RSET, MAIL and RCPT may be grouped, DATA ends the group.
            flight.append(.mail)
            flight += message.recipients.indices.map { PendingReply.recipient($0) }
            flight.append(.data)
        } else if flight.isEmpty {
            flight = [.mail]
        }
        transaction.mailSent = flight.contains(.mail)
        transaction.expected = flight
        phase = .inTransaction(transaction)
        return flight.map { .send(transaction.command(for: $0, capabilities: capabilities)) }
    }

    /// Why the server cannot take the message, decided from its EHLO reply before sending.
    func refusal(of message: SMTPOutboundMessage) -> SMTPReply? {
        // RFC 1870 §6: a client should not send a message larger than the announced limit.
        if let limit = capabilities.sizeLimit, limit > 0, message.size > limit {
            return SMTPReply(552, "5.3.4", "the message (\(message.size) octets) is larger than the server's limit (SIZE \(limit))")
        }
        // RFC 6152 §3: 8-bit content only to a server announcing 8BITMIME. Converting to 7-bit
        // would break a DKIM signature, so it is refused instead (RFC 3463 §3.7: 5.6.3).
        if message.bodyType == .eightBitMIME, !capabilities.eightBitMIME {
            return SMTPReply(554, "5.6.3", "the message has 8-bit content and the server does not offer 8BITMIME (RFC 6152)")
        }
        // RFC 6531 §3.4: without SMTPUTF8 the message cannot go; 5.6.7 from RFC 6531 §3.6.
        if needsSMTPUTF8(message), !capabilities.smtputf8 {
            return SMTPReply(553, "5.6.7", "the message needs SMTPUTF8 (RFC 6531) and the server does not offer it")
        }
        return nil
    }

    func needsSMTPUTF8(_ message: SMTPOutboundMessage) -> Bool {
        message.needsSMTPUTF8 || !message.reversePath.isASCII || message.recipients.contains { !$0.mailbox.isASCII }
    }

    func mailParameters(for message: SMTPOutboundMessage) -> SMTPMailParameters {
        var parameters = SMTPMailParameters()
        if capabilities.sizeLimit != nil { parameters.size = message.size }
        if message.bodyType == .eightBitMIME { parameters.body = .eightBitMIME }
        parameters.smtputf8 = needsSMTPUTF8(message)
        if capabilities.dsn {
            parameters.ret = message.dsnReturn
            parameters.envelopeID = message.envelopeID
        }
        return parameters
    }

    // MARK: replies in a transaction

    mutating func handleTransaction(_ reply: SMTPReply) -> [SMTPClientAction] {
        switch phase {
        case .inTransaction(var transaction):
            guard !transaction.expected.isEmpty else { return abort("the server sent a reply nobody asked for") }
            let pending = transaction.expected.removeFirst()
            switch pending {
            case .reset, .mail:
                if reply.code / 100 != 2, transaction.refusal == nil { transaction.refusal = reply }
            case .recipient(let index):
                if transaction.refusal == nil {
                    if reply.code / 100 == 2 {
                        transaction.accepted.append(index)
                    } else {
                        transaction.results[index] = SMTPRecipientResult(
                            recipient: transaction.message.recipients[index].mailbox,
                            status: Self.refusalStatus(reply), reply: reply, remote: true)
                    }
                }
            case .data:
                return dataReply(reply, transaction)
            }
            if !transaction.pipelined { return sendNext(transaction) }
            phase = .inTransaction(transaction)
            return []
        case .sendingContent:
            // Only after the whole content may the server answer (RFC 5321 §4.1.1.4).
            return abort("the server replied before the end of the content", reply: reply.code / 100 == 2 ? nil : reply)
        case .awaitingFinalReply(var transaction):
            // RFC 5321 §4.1.1.4: the reply to the final dot decides for every accepted recipient.
            let status: SMTPDeliveryStatus = reply.code / 100 == 2 ? .delivered : Self.refusalStatus(reply)
            transaction.settleAll(status: status, reply: reply, remote: true)
            phase = .ready
            return [.transactionFinished(transaction.finalResults), .ready]
        case .awaitingAbandonedContentReply(let transaction):
            phase = .ready
            return [.transactionFinished(transaction.finalResults), .ready]
        default:
            return []
        }
    }

    /// Without PIPELINING: the next command, or the end when nothing more is worth sending
    /// (after a refused MAIL, or when every RCPT was refused: no DATA, RFC 5321 §3.3).
    mutating func sendNext(_ transaction: Transaction) -> [SMTPClientAction] {
        var transaction = transaction
        let asked = transaction.accepted.count + transaction.results.lazy.filter { $0 != nil }.count
        let next: PendingReply?
        if transaction.refusal != nil {
            next = nil
        } else if !transaction.mailSent {
            next = .mail
        } else if asked < transaction.message.recipients.count {
            next = .recipient(asked)
        } else {
            next = transaction.accepted.isEmpty ? nil : .data
        }
        guard let next else { return finishWithoutContent(transaction, dataReply: nil) }
        transaction.expected = [next]
        if next == .mail { transaction.mailSent = true }
        phase = .inTransaction(transaction)
        return [.send(transaction.command(for: next, capabilities: capabilities))]
    }

    /// The reply to DATA, also the end of a pipelined flight (RFC 2920 §3.1: read even when
    /// every RCPT failed).
    mutating func dataReply(_ reply: SMTPReply, _ transaction: Transaction) -> [SMTPClientAction] {
        if reply.code == 354 {
            if transaction.refusal == nil, !transaction.accepted.isEmpty {
                phase = .sendingContent(transaction)
                return [.sendContent]
            }
            // RFC 2920 §3.1: nobody to deliver to, yet the server waits for content: end it empty.
            var abandoned = transaction
            let reason = transaction.refusal ?? reply
            abandoned.settleAll(status: Self.refusalStatus(reason), reply: reason, remote: true)
            phase = .awaitingAbandonedContentReply(abandoned)
            return [.sendEndOfContentOnly]
        }
        return finishWithoutContent(transaction, dataReply: reply)
    }

    /// The transaction ends before any content: open recipients get the MAIL/RSET refusal, else
    /// the DATA reply; then the next transaction starts with RSET.
    mutating func finishWithoutContent(_ transaction: Transaction, dataReply: SMTPReply?) -> [SMTPClientAction] {
        var transaction = transaction
        if let reply = transaction.refusal ?? dataReply {
            transaction.settleAll(status: Self.refusalStatus(reply), reply: reply, remote: true)
        }
        phase = .ready
        return [.transactionFinished(transaction.finalResults), .ready]
    }

    /// A reply that refuses: 5xx is permanent (RFC 5321 §4.2.1); anything else that is not the
    /// expected success (4xx, an odd 2xx or 3xx) is worth another try.
    static func refusalStatus(_ reply: SMTPReply) -> SMTPDeliveryStatus {
        reply.code / 100 == 5 ? .failed : .deferred
    }
}
