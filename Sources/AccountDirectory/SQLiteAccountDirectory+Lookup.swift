import GRDB

extension SQLiteAccountDirectory {
    /// Domain not local: `.notLocalDomain`. Otherwise the exact local part
    /// (user, then alias); failing that, with a recipient delimiter such as
    /// "+", the part before its first occurrence ("alice+news" -> "alice");
    /// failing that, the domain's catch-all alias ("@example.org").
    /// An exact match wins, so a user literally named "a+b" keeps its mail,
    /// and an existing user's plus-addresses never reach the catch-all.
    public func lookupRecipient(localPart: String, domain: String, recipientDelimiter: String?) throws -> RecipientLookup {
        let domain = domain.lowercased()
        let localPart = localPart.lowercased()
        return try pool.read { db in
            let tables = DirectoryTables(db: db)
            guard try tables.domainExists(domain) else { return .notLocalDomain }

            if let expansion = try Self.namedExpansion(localPart: localPart, domain: domain,
                                                       recipientDelimiter: recipientDelimiter, in: tables) {
                // An alias whose targets have all gone is nobody.
                return expansion.isEmpty ? .unknownUser : .deliver(expansion)
            }
            // Any local part at all, even one no mailbox could have: it only picks the alias.
            let catchAll = MailboxAddress.catchAll(domain: domain)
            if let targets = try tables.aliasTargets(of: catchAll) {
                let expansion = try AliasExpander.expand(catchAll, entry: .alias(targets: targets), tables: tables)
                return expansion.isEmpty ? .unknownUser : .deliver(expansion)
            }
            return .unknownUser
        }
    }

    /// What a local address delivers to through a user or alias of its own name, or of the
    /// name before the recipient delimiter; nil when neither exists. The catch-all is not
    /// consulted. `localPart` and `domain` are lowercased.
    static func namedExpansion(localPart: String, domain: String, recipientDelimiter: String?,
                               in tables: DirectoryTables) throws -> RecipientExpansion? {
        var candidates = [localPart]
        if let delimiter = recipientDelimiter?.lowercased(), !delimiter.isEmpty,
           let range = localPart.firstRange(of: delimiter) {
            let base = String(localPart[..<range.lowerBound])
            if !base.isEmpty { candidates.append(base) }
        }
        for candidate in candidates {
            // MailboxAddress(parsing:) also rejects local parts that can
            // never be stored, so junk from the wire cannot reach SQL.
            guard let address = MailboxAddress(parsing: "\(candidate)@\(domain)"),
                  let entry = try tables.entry(for: address) else { continue }
            return try AliasExpander.expand(address, entry: entry, tables: tables)
        }
        return nil
    }
}
