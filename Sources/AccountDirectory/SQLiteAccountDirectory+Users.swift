import Foundation
import GRDB

extension SQLiteAccountDirectory {
    public func addUser(_ address: String, password: String) throws -> MailboxAddress {
        let mailbox = try Self.canonicalMailbox(address)
        // Hash before taking the write lock: yescrypt is deliberately slow.
        let hash = try PasswordHash.make(password)
        try pool.write { db in
            let tables = DirectoryTables(db: db)
            guard try tables.domainExists(mailbox.domain) else { throw DirectoryError.unknownDomain(mailbox.domain) }
            try tables.checkAddressIsFree(mailbox)
            try db.execute(
                sql: "INSERT INTO users (local_part, domain, password_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [mailbox.localPart, mailbox.domain, hash, Date()])
        }
        return mailbox
    }

    /// Removes the account only; the mail folder is left for the caller to
    /// archive or delete. Aliases pointing here simply stop delivering to it.
    public func removeUser(_ address: String) throws {
        let mailbox = try Self.canonicalMailbox(address)
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM users WHERE local_part = ? AND domain = ?",
                arguments: [mailbox.localPart, mailbox.domain])
            if db.changesCount == 0 { throw DirectoryError.noSuchUser(mailbox.description) }
        }
    }

    public func setPassword(_ address: String, password: String) throws {
        let mailbox = try Self.canonicalMailbox(address)
        let hash = try PasswordHash.make(password)
        try pool.write { db in
            try db.execute(
                sql: "UPDATE users SET password_hash = ? WHERE local_part = ? AND domain = ?",
                arguments: [hash, mailbox.localPart, mailbox.domain])
            if db.changesCount == 0 { throw DirectoryError.noSuchUser(mailbox.description) }
        }
    }

    public func listUsers(domain: String?) throws -> [UserRecord] {
        try pool.read { db in
            let filter = try Self.checkDomainFilter(domain, in: DirectoryTables(db: db))
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT local_part, domain, created_at FROM users
                    WHERE ?1 IS NULL OR domain = ?1
                    ORDER BY domain, local_part
                    """,
                arguments: [filter])
            return rows.map { row in
                UserRecord(address: MailboxAddress(localPart: row["local_part"], domain: row["domain"]),
                           createdAt: row["created_at"])
            }
        }
    }

    /// nil for an unknown user or a wrong password, with the same cost for both.
    public func verifyPassword(address: String, password: String) throws -> MailboxAddress? {
        let mailbox = MailboxAddress(parsing: address)
        // Read the hash, then verify outside the transaction so a slow hash
        // does not pin a reader.
        let stored: String? = try mailbox.flatMap { mailbox in
            try pool.read { db in try DirectoryTables(db: db).passwordHash(of: mailbox) }
        }
        let matches = PasswordHash.verify(password, against: stored ?? PasswordHash.dummyHash)
        guard matches, stored != nil else { return nil }
        return mailbox
    }
}
