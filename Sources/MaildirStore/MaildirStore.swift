import MailQueue
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A local mailbox, by the canonical names the directory stores.
public struct LocalMailbox: Hashable, Sendable {
    public var domain: String
    public var localPart: String

    public init(domain: String, localPart: String) {
        self.domain = domain
        self.localPart = localPart
    }
}

/// Where one accepted message goes.
public struct DeliveryPlan: Sendable, Equatable {
    /// Local mailboxes: one file, hard-linked into each Maildir's new/.
    public var mailboxes: [LocalMailbox]
    /// Recipients outside our domains (submissions, alias targets), as the queue's rows will
    /// hold them: the address with its DSN NOTIFY and ORCPT (RFC 3461 §4.1, §4.2). They wait,
    /// durably, in the outbound queue (`QueueStore`) until the delivery agent sends them on.
    public var remoteRecipients: [NewQueuedRecipient]
    public var reversePath: String
    /// What the queue must know to pick a peer that can take the message (RFC 6152, RFC 6531).
    public var needs8BitMIME: Bool
    public var needsSMTPUTF8: Bool
    /// The authenticated account of a submission.
    public var submittingAccount: String?
    /// ENVID as received, in xtext (RFC 3461 §4.4), and RET (§4.3): for the DSNs about the
    /// remote recipients and for relaying to a peer that offers DSN.
    public var envelopeID: String?
    public var returnContent: ReturnContent?

    public init(mailboxes: [LocalMailbox], remoteRecipients: [NewQueuedRecipient], reversePath: String,
                needs8BitMIME: Bool = false, needsSMTPUTF8: Bool = false, submittingAccount: String? = nil,
                envelopeID: String? = nil, returnContent: ReturnContent? = nil) {
        self.mailboxes = mailboxes
        self.remoteRecipients = remoteRecipients
        self.reversePath = reversePath
        self.needs8BitMIME = needs8BitMIME
        self.needsSMTPUTF8 = needsSMTPUTF8
        self.submittingAccount = submittingAccount
        self.envelopeID = envelopeID
        self.returnContent = returnContent
    }
}

/// A message for remote recipients arrived, but this store was made without an outbound queue.
public struct NoOutboundQueue: Error, CustomStringConvertible {
    public var description: String { "no outbound queue to hold remote recipients" }
}

/// The mail store under the data folder: `mail/DOMAIN/LOCALPART/{tmp,new,cur}` Maildirs and
/// the outbound queue's files `queue/` with its rows in `queue`. All disk work runs on its own
/// thread pool, never on an event loop.
public final class MaildirStore: Sendable {
    public let dataDirectory: String
    public let hostname: String
    let threadPool: NIOThreadPool
    /// Where remote recipients go; nil only for stores that never see one (tests, tools).
    let queue: (any QueueIntake)?
    let queueFolder: QueueFolder
    /// Told of every message placed in a local Maildir, once it is durable (see `DeliveryObserver`).
    let deliveryObserver: DeliveryObserver?

    public init(dataDirectory: String, hostname: String, threadPool: NIOThreadPool, queue: (any QueueIntake)? = nil,
                deliveryObserver: DeliveryObserver? = nil) {
        self.dataDirectory = dataDirectory
        self.hostname = hostname
        self.threadPool = threadPool
        self.queue = queue
        self.queueFolder = QueueFolder(dataDirectory: dataDirectory)
        self.deliveryObserver = deliveryObserver
    }

    public var mailRoot: String { "\(dataDirectory)/mail" }
    public var queueRoot: String { "\(dataDirectory)/queue" }

    public func maildirPath(for mailbox: LocalMailbox) -> String {
        "\(mailRoot)/\(mailbox.domain)/\(mailbox.localPart)"
    }

    /// Creates a Maildir (blocking; for the command line and the storage threads).
    public static func createMaildir(at path: String) throws {
        for sub in ["tmp", "new", "cur"] {
            try POSIX.makeDirectories("\(path)/\(sub)")
        }
    }

    /// Starts receiving a message that will be delivered by `plan`. `traceHeaders` are
    /// written first; content follows through `write` and `commit`.
    public func beginMessage(name: MaildirName, traceHeaders: String, plan: DeliveryPlan) -> IncomingMessage {
        IncomingMessage(store: self, name: name, traceHeaders: traceHeaders, plan: plan)
    }
}
