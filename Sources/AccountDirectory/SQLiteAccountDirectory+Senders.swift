import GRDB

extension SQLiteAccountDirectory {
    /// May `account` use `address` as MAIL FROM or in the header From (RFC 6409 §6.1 lets a
    /// submission server refuse senders the user is not entitled to)? Yes when the address
    /// delivers to the account by name, exactly as RCPT TO would resolve it (the account's own
    /// address, its plus-addresses, any alias whose expansion includes it), or when the account
    /// holds a grant for the address or for its whole domain. Case-insensitive; a malformed
    /// address never belongs to anyone.
    ///
    /// A catch-all ("@domain") that delivers to the account is NOT consulted: it would let its
    /// owner send as every address of the domain, other users' included. Sending as a whole
    /// domain is what a grant "@domain" is for.
    public func mayUseSender(account: MailboxAddress, address: String, recipientDelimiter: String?) throws -> Bool {
        // Also bounds the input: at most 64 octets of local part and 253 of domain.
        guard let lowered = AddressSyntax.canonicalRemoteAddress(address)?.lowercased(),
              let at = lowered.lastIndex(of: "@") else { return false }
        let localPart = String(lowered[..<at])
        let domain = String(lowered[lowered.index(after: at)...])
        return try pool.read { db in
            let tables = DirectoryTables(db: db)
            if try tables.domainExists(domain),
               let expansion = try Self.namedExpansion(localPart: localPart, domain: domain,
                                                       recipientDelimiter: recipientDelimiter, in: tables),
               // Expansions hold existing users only: a removed account owns nothing.
               expansion.mailboxes.contains(account) {
                return true
            }
            let grants = try tables.sendAsAddresses(of: account).map { $0.lowercased() }
            return grants.contains(lowered) || grants.contains("@\(domain)")
        }
    }
}
