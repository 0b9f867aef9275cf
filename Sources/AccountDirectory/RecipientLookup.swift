/// What a recipient address resolves to (aliases expanded recursively, plus-addressing applied).
public struct RecipientExpansion: Sendable, Equatable {
    /// Local users to deliver to, deduplicated, in first-seen order.
    public var mailboxes: [MailboxAddress]
    /// Alias targets outside the local domains, deduplicated.
    public var remoteAddresses: [String]

    public init(mailboxes: [MailboxAddress] = [], remoteAddresses: [String] = []) {
        self.mailboxes = mailboxes
        self.remoteAddresses = remoteAddresses
    }

    /// True when there is nowhere to deliver, e.g. an alias whose targets
    /// have all been removed; such a recipient is treated as unknown.
    var isEmpty: Bool { mailboxes.isEmpty && remoteAddresses.isEmpty }
}

/// The answer to "may I accept mail for this RCPT TO?".
public enum RecipientLookup: Sendable, Equatable {
    /// The domain is not one of ours: the server decides whether to relay.
    case notLocalDomain
    /// A local domain, but no such user or alias.
    case unknownUser
    case deliver(RecipientExpansion)
}
