import Foundation
import GRDB
import SASL

extension SQLiteAccountDirectory {
    public func addUser(_ address: String, password: String) throws -> MailboxAddress {
        let mailbox = try Self.canonicalMailbox(address)
        // Hash before taking the write lock: yescrypt (and PBKDF2) are deliberately slow.
        let hash = try PasswordHash.make(password)
        let scram = Self.storedSCRAMKeys(for: password)
        try pool.write { db in
            let tables = DirectoryTables(db: db)
            guard try tables.domainExists(mailbox.domain) else { throw DirectoryError.unknownDomain(mailbox.domain) }
            try tables.checkAddressIsFree(mailbox)
            try db.execute(
                sql: """
                    INSERT INTO users (local_part, domain, password_hash, scram_sha256, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [mailbox.localPart, mailbox.domain, hash, scram, Date()])
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
        let scram = Self.storedSCRAMKeys(for: password)
        try pool.write { db in
            // Both together: keys from the old password would still log in over SCRAM.
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, scram_sha256 = ? WHERE local_part = ? AND domain = ?",
                arguments: [hash, scram, mailbox.localPart, mailbox.domain])
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
    ///
    /// A user without SCRAM keys (password set before they were stored) gets them here, from
    /// the password that just verified: the only other moment the server sees it is
    /// `tsubame user passwd` (issue 9).
    public func verifyPassword(address: String, password: String) throws -> MailboxAddress? {
        let mailbox = MailboxAddress(parsing: address)
        // Read the hash, then verify outside the transaction so a slow hash
        // does not pin a reader.
        let stored: PasswordRecord? = try mailbox.flatMap { mailbox in
            try pool.read { db in try DirectoryTables(db: db).passwordRecord(of: mailbox) }
        }
        if let stored, let mailbox, verifiedPasswords.contains(hash: stored.hash, password: password) { return mailbox }
        let matches = PasswordHash.verify(password, against: stored?.hash ?? PasswordHash.dummyHash)
        guard matches, let stored, let mailbox else { return nil }
        verifiedPasswords.remember(hash: stored.hash, password: password)
        if !stored.hasSCRAMKeys {
            storeMissingSCRAMKeys(for: mailbox, password: password, verifiedHash: stored.hash)
        }
        return mailbox
    }

    /// The account when `password` verified against its current hash recently
    /// (`verifiedPasswords`); nil means "not known", not "wrong": run `verifyPassword`.
    /// One read and an HMAC, no hashing: a returning client's login skips the hashing queue.
    public func verifyRememberedPassword(address: String, password: String) throws -> MailboxAddress? {
        guard verifiedPasswords.count > 0, let mailbox = MailboxAddress(parsing: address) else { return nil }
        let stored = try pool.read { db in try DirectoryTables(db: db).passwordRecord(of: mailbox) }
        guard let stored, verifiedPasswords.contains(hash: stored.hash, password: password) else { return nil }
        return mailbox
    }

    /// Best effort: the login has succeeded whatever happens here, and the next one tries
    /// again. The update only applies while the row still has the hash that verified and no
    /// keys, so a `user passwd` running meanwhile is never overwritten with the old password's.
    private func storeMissingSCRAMKeys(for mailbox: MailboxAddress, password: String, verifiedHash: String) {
        guard let scram = Self.storedSCRAMKeys(for: password) else { return }
        _ = try? pool.write { db in
            try db.execute(
                sql: """
                    UPDATE users SET scram_sha256 = ?
                    WHERE local_part = ? AND domain = ? AND password_hash = ? AND scram_sha256 IS NULL
                    """,
                arguments: [scram, mailbox.localPart, mailbox.domain, verifiedHash])
        }
    }

    /// SCRAM-SHA-256 keys (RFC 5802 §3) in stored form. nil when SASLprep (RFC 4013) refuses
    /// the password: such a user can still log in with PLAIN or LOGIN, never with SCRAM.
    static func storedSCRAMKeys(for password: String) -> String? {
        SCRAMCredentials.make(password: password)?.encoded
    }
}
