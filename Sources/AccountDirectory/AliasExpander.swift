/// Expands a local address into the mailboxes and remote addresses mail for
/// it must go to, following aliases through other aliases.
///
/// Alias data is edited by hand, so it may contain cycles, very deep chains or
/// targets that no longer exist. None of that may hang or fail delivery: a
/// branch that loops, goes deeper than `maxDepth` or points at nothing is
/// skipped, and whatever else the alias reaches still gets the mail.
struct AliasExpander {
    /// Aliases followed in a chain, the top-level alias included.
    static let maxDepth = 10

    let tables: DirectoryTables

    private var mailboxes: [MailboxAddress] = []
    private var seenMailboxes: Set<MailboxAddress> = []
    private var remoteAddresses: [String] = []
    private var seenRemoteAddresses: Set<String> = []
    /// The shallowest depth each alias was expanded at. Reaching it again at
    /// the same or a greater depth (which includes every cycle) cannot add
    /// anything new; reaching it shallower can, if the deeper visit was cut off
    /// by the depth limit. So each alias is expanded at most `maxDepth` times.
    private var expandedAtDepth: [MailboxAddress: Int] = [:]

    init(tables: DirectoryTables) {
        self.tables = tables
    }

    /// Everything `address` (a user or an alias) delivers to.
    static func expand(_ address: MailboxAddress, entry: DirectoryEntry, tables: DirectoryTables) throws -> RecipientExpansion {
        var expander = AliasExpander(tables: tables)
        switch entry {
        case .user:
            expander.addMailbox(address)
        case .alias(let targets):
            try expander.expandAlias(address, targets: targets, depth: 1)
        }
        return RecipientExpansion(mailboxes: expander.mailboxes, remoteAddresses: expander.remoteAddresses)
    }

    private mutating func expandAlias(_ alias: MailboxAddress, targets: [String], depth: Int) throws {
        if let earlier = expandedAtDepth[alias], earlier <= depth { return }
        expandedAtDepth[alias] = depth

        for target in targets {
            guard let domain = Self.domain(of: target) else { continue }
            // Locality is decided now, not when the alias was written: a domain
            // added or removed since then changes where the mail goes.
            guard try tables.domainExists(domain) else {
                addRemoteAddress(target)
                continue
            }
            guard let local = MailboxAddress(parsing: target) else { continue }
            switch try tables.entry(for: local) {
            case .user:
                addMailbox(local)
            case .alias(let nested):
                if depth < Self.maxDepth {
                    try expandAlias(local, targets: nested, depth: depth + 1)
                }
            case nil:
                continue  // a user removed after the alias was written
            }
        }
    }

    private mutating func addMailbox(_ mailbox: MailboxAddress) {
        if seenMailboxes.insert(mailbox).inserted { mailboxes.append(mailbox) }
    }

    private mutating func addRemoteAddress(_ address: String) {
        if seenRemoteAddresses.insert(address).inserted { remoteAddresses.append(address) }
    }

    private static func domain(of address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        return address[address.index(after: at)...].lowercased()
    }
}
