import Foundation

/// Where one recipient of a queued message stands.
public enum RecipientStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its next attempt (or its first).
    case pending
    /// Claimed by a delivery attempt that has not reported yet. At start, `recoverInterrupted`
    /// turns these back into `pending`: only they are sent again after a crash.
    case inFlight
    /// The receiving server answered 2xx.
    case delivered
    /// A 5xx, or the queue gave up (expiry): never tried again (RFC 5321 §4.2.1, §4.5.4.1).
    case failed
}

/// RFC 3461 §4.3 RET: what a failure notice carries of the original.
public enum ReturnContent: String, Sendable, Codable {
    case full = "FULL"
    case headers = "HDRS"
}

/// A recipient as accepted by the SMTP server, before its first attempt.
public struct NewQueuedRecipient: Sendable, Equatable {
    public var address: String
    /// RFC 3461 §4.2 ORCPT, as received (`rfc822;addr` in xtext), or nil.
    public var originalRecipient: String?
    /// RFC 3461 §4.1 NOTIFY, as received (`NEVER` or a comma-separated list), or nil.
    public var notify: String?

    public init(address: String, originalRecipient: String? = nil, notify: String? = nil) {
        self.address = address
        self.originalRecipient = originalRecipient
        self.notify = notify
    }

    /// The part after the last "@", lowercased: what MX lookups and per-domain limits use
    /// (RFC 5321 §2.3.5: domain names are case-insensitive).
    public var destinationDomain: String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...].lowercased()
    }
}

/// A message whose file is already durable in `QueueFolder.messagesPath`.
public struct NewQueuedMessage: Sendable, Equatable {
    /// Unique in the queue; the server uses the id of its log lines.
    public var id: String
    /// The file's name in `DATA/queue/messages/`.
    public var fileName: String
    /// "" for the null reverse path `<>` (RFC 5321 §4.5.5: its failures are never notified).
    public var reversePath: String
    public var recipients: [NewQueuedRecipient]
    /// RFC 3461 §4.4 ENVID, as received, or nil.
    public var envelopeID: String?
    public var returnContent: ReturnContent?
    /// The body is 8-bit (RFC 6152): a peer without 8BITMIME cannot take it.
    public var needs8BitMIME: Bool
    /// RFC 6531: a peer without SMTPUTF8 cannot take it.
    public var needsSMTPUTF8: Bool
    public var size: Int
    public var arrival: Date
    /// The authenticated account of a submission, or nil for relayed mail.
    public var submittingAccount: String?
    /// The header as the signer (DKIM, later) will read it, or nil.
    public var headerPrefix: Data?

    public init(id: String, fileName: String, reversePath: String, recipients: [NewQueuedRecipient],
                envelopeID: String? = nil, returnContent: ReturnContent? = nil, needs8BitMIME: Bool = false,
                needsSMTPUTF8: Bool = false, size: Int, arrival: Date, submittingAccount: String? = nil,
                headerPrefix: Data? = nil) {
        self.id = id
        self.fileName = fileName
        self.reversePath = reversePath
        self.recipients = recipients
        self.envelopeID = envelopeID
        self.returnContent = returnContent
        self.needs8BitMIME = needs8BitMIME
        self.needsSMTPUTF8 = needsSMTPUTF8
        self.size = size
        self.arrival = arrival
        self.submittingAccount = submittingAccount
        self.headerPrefix = headerPrefix
    }
}

/// One recipient row as stored.
public struct QueuedRecipient: Sendable, Equatable, Codable {
    public var messageID: String
    /// Its place in the message's recipient list: with `messageID`, the row's key.
    public var position: Int
    public var address: String
    public var originalRecipient: String?
    public var notify: String?
    public var destinationDomain: String
    public var status: RecipientStatus
    public var attempts: Int
    public var nextAttempt: Date
    /// The last reply's text as the peer sent it ("450 4.2.0 mailbox busy"), or our own reason.
    public var lastReply: String?
    /// RFC 3463 code of the last reply ("4.2.0"), when there was one.
    public var lastEnhancedCode: String?
    public var remoteHost: String?
    public var delayNoticeSent: Bool
    /// For a failed recipient: its failure notice (DSN) is safely queued or delivered, or none
    /// was owed. Until then the message stays, so a crash cannot lose the report.
    public var failureReported: Bool = false
}

/// One message row as stored.
public struct QueuedMessage: Sendable, Equatable, Codable {
    public var id: String
    public var fileName: String
    public var reversePath: String
    public var envelopeID: String?
    public var returnContent: ReturnContent?
    public var needs8BitMIME: Bool
    public var needsSMTPUTF8: Bool
    public var size: Int
    public var arrival: Date
    public var expiry: Date
    public var held: Bool
    public var submittingAccount: String?
    public var headerPrefix: Data?
    /// `queue bounce`: the scheduler fails its pending recipients at its next look.
    public var bounceRequested: Bool = false
}

/// A message with its recipients, for `queue show` and the delivery agent.
public struct QueueEntry: Sendable, Equatable {
    public var message: QueuedMessage
    public var recipients: [QueuedRecipient]
}

/// Recipients of one message for one destination domain, claimed for one SMTP transaction.
public struct ClaimedBatch: Sendable, Equatable {
    public var message: QueuedMessage
    public var destinationDomain: String
    public var recipients: [QueuedRecipient]
}

/// A peer's reply to one recipient, as the queue keeps it.
public struct RecordedReply: Sendable, Equatable {
    public var text: String
    public var enhancedCode: String?
    public var remoteHost: String?

    public init(text: String, enhancedCode: String? = nil, remoteHost: String? = nil) {
        self.text = text
        self.enhancedCode = enhancedCode
        self.remoteHost = remoteHost
    }
}

/// The outcome of one attempt for one recipient. The caller decides from the reply's class
/// (RFC 5321 §4.2.1), never from its text.
public enum AttemptOutcome: Sendable, Equatable {
    /// 2xx.
    case delivered(RecordedReply)
    /// 5xx, or a permanent local reason: never retried.
    case failed(RecordedReply)
    /// 4xx, a timeout, a refused connection: tried again at the next backoff time.
    case deferred(RecordedReply)
}

public enum QueueError: Error, Equatable, CustomStringConvertible {
    case noSuchMessage(String)
    case duplicateMessage(String)
    /// A result for a recipient that is not in flight (deleted meanwhile, or never claimed).
    case notInFlight(messageID: String, position: Int)
    case tooManyRecipients(Int)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .noSuchMessage(let id): return "no queued message \(id)"
        case .duplicateMessage(let id): return "message \(id) is already queued"
        case .notInFlight(let id, let position): return "recipient \(position) of \(id) is not in flight"
        case .tooManyRecipients(let count): return "\(count) recipients are more than the queue takes for one message"
        case .invalidInput(let reason): return reason
        }
    }
}

/// What `recordTransaction` did.
public struct TransactionRecord: Sendable, Equatable {
    /// Positions that were not in flight (the message was deleted meanwhile, say).
    public var notInFlight: [Int] = []
    /// The message is finished and its rows are gone: unlink this file.
    public var finishedFileName: String?

    public init(notInFlight: [Int] = [], finishedFileName: String? = nil) {
        self.notInFlight = notInFlight
        self.finishedFileName = finishedFileName
    }
}

/// The results of one SMTP transaction for one queued message.
public struct TransactionResults: Sendable {
    public var messageID: String
    public var results: [(position: Int, outcome: AttemptOutcome)]

    public init(messageID: String, results: [(position: Int, outcome: AttemptOutcome)]) {
        self.messageID = messageID
        self.results = results
    }
}
