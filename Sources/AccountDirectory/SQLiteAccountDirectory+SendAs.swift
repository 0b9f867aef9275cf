import Foundation
import GRDB

extension SQLiteAccountDirectory {
    public func addSendAs(account: String, address: String) throws {
        let mailbox = try Self.canonicalMailbox(account)
        try pool.write { db in
            let tables = DirectoryTables(db: db)
            guard try tables.userExists(mailbox) else { throw DirectoryError.noSuchUser(mailbox.description) }
            let grant = try Self.canonicalGrant(address, in: tables)
            // Matching is case-insensitive (`mayUseSender`), so "Bob@x" next to "bob@x" would
            // be the same grant twice.
            if try Self.storedGrant(matching: grant, of: mailbox, in: tables) != nil {
                throw DirectoryError.sendAsExists(mailbox.description, grant)
            }
            try db.execute(
                sql: "INSERT INTO send_as (local_part, domain, address, created_at) VALUES (?, ?, ?, ?)",
                arguments: [mailbox.localPart, mailbox.domain, grant, Date()])
        }
    }

    public func removeSendAs(account: String, address: String) throws {
        let mailbox = try Self.canonicalMailbox(account)
        guard let wanted = Self.grantSyntax(address) else { throw DirectoryError.invalidAddress(address) }
        try pool.write { db in
            let tables = DirectoryTables(db: db)
            guard try tables.userExists(mailbox) else { throw DirectoryError.noSuchUser(mailbox.description) }
            // Compared case-insensitively, so the grant goes however it is typed now, even if
            // its domain became local (and its local part lowercased) since it was added.
            guard let stored = try Self.storedGrant(matching: wanted, of: mailbox, in: tables) else {
                throw DirectoryError.noSuchSendAs(mailbox.description, wanted)
            }
            try db.execute(
                sql: "DELETE FROM send_as WHERE local_part = ? AND domain = ? AND address = ?",
                arguments: [mailbox.localPart, mailbox.domain, stored])
        }
    }

    /// nil lists every grant; an account that is not a user is reported, not listed as empty.
    public func listSendAs(account: String?) throws -> [SendAsGrant] {
        let mailbox = try account.map(Self.canonicalMailbox)
        return try pool.read { db in
            if let mailbox, try !DirectoryTables(db: db).userExists(mailbox) {
                throw DirectoryError.noSuchUser(mailbox.description)
            }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT local_part, domain, address FROM send_as
                    WHERE ?1 IS NULL OR (local_part = ?1 AND domain = ?2)
                    ORDER BY domain, local_part, address
                    """,
                arguments: [mailbox?.localPart, mailbox?.domain])
            return rows.map { row in
                SendAsGrant(account: MailboxAddress(localPart: row["local_part"], domain: row["domain"]),
                            address: row["address"])
            }
        }
    }

    /// "@domain" (a whole domain), or an address in the form alias targets are stored in: a
    /// local one lowercased, a remote one with its local part as written. The address need not
    /// exist; an address in a local domain must be one a mailbox could have, as for targets.
    static func canonicalGrant(_ address: String, in tables: DirectoryTables) throws -> String {
        if let domain = AddressSyntax.catchAllDomain(address) { return "@\(domain)" }
        if let local = MailboxAddress(parsing: address), try tables.domainExists(local.domain) {
            return local.description
        }
        guard let remote = AddressSyntax.canonicalRemoteAddress(address),
              let domain = remote.split(separator: "@").last, try !tables.domainExists(String(domain)) else {
            throw DirectoryError.invalidAddress(address)
        }
        return remote
    }

    /// The syntax check alone: "@domain" or "local@domain" (domain lowercased), nil otherwise.
    static func grantSyntax(_ address: String) -> String? {
        if let domain = AddressSyntax.catchAllDomain(address) { return "@\(domain)" }
        return AddressSyntax.canonicalRemoteAddress(address)
    }

    /// The stored form of `grant` for `account`, compared case-insensitively.
    static func storedGrant(matching grant: String, of account: MailboxAddress, in tables: DirectoryTables) throws -> String? {
        let wanted = grant.lowercased()
        return try tables.sendAsAddresses(of: account).first { $0.lowercased() == wanted }
    }
}
