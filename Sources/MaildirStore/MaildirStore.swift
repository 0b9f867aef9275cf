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
    /// Alias targets outside our domains. They wait, durably, in the outbound queue until the
    /// delivery agent (a later part of Tsubame) sends them on.
    public var remoteRecipients: [String]
    public var reversePath: String

    public init(mailboxes: [LocalMailbox], remoteRecipients: [String], reversePath: String) {
        self.mailboxes = mailboxes
        self.remoteRecipients = remoteRecipients
        self.reversePath = reversePath
    }
}

/// The mail store under the data folder: `mail/DOMAIN/LOCALPART/{tmp,new,cur}` Maildirs and
/// the outbound queue `queue/`. All disk work runs on its own thread pool, never on an event loop.
public final class MaildirStore: Sendable {
    public let dataDirectory: String
    public let hostname: String
    let threadPool: NIOThreadPool

    public init(dataDirectory: String, hostname: String, threadPool: NIOThreadPool) {
        self.dataDirectory = dataDirectory
        self.hostname = hostname
        self.threadPool = threadPool
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
