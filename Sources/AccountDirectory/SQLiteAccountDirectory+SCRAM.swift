import GRDB
import SASL

extension SQLiteAccountDirectory {
    /// The stored SCRAM-SHA-256 keys of a user, or made-up ones (`SCRAMDecoyKeys`, mailbox nil)
    /// for anyone else, including a user without keys yet. One indexed read and three HMACs
    /// either way: no PBKDF2 on this path, so asking about names costs an attacker as much as
    /// it costs us, and the made-up keys are computed even when real ones exist so both answers
    /// take about the same time.
    public func scramCredentials(address: String) throws -> SCRAMLookup {
        let mailbox = MailboxAddress(parsing: address)
        return try pool.read { db in
            let tables = DirectoryTables(db: db)
            guard let secret = try tables.scramSecret() else { throw MissingSCRAMSecret() }
            let madeUp = SCRAMDecoyKeys(secret: secret).credentials(for: address)
            guard let mailbox, let stored = try tables.scramKeys(of: mailbox),
                  let credentials = SCRAMCredentials(encoded: stored) else {
                return SCRAMLookup(mailbox: nil, credentials: madeUp)
            }
            return SCRAMLookup(mailbox: mailbox, credentials: credentials)
        }
    }
}

/// The v2 migration stores the secret; without it (a damaged database) SCRAM answers a
/// temporary failure rather than keys that would tell unknown users apart.
struct MissingSCRAMSecret: Error, CustomStringConvertible {
    var description: String { "the directory has no SCRAM secret (scram_secret table is empty)" }
}
