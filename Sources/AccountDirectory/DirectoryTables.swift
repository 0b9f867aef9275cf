import Foundation
import GRDB

/// What a local address is, as far as delivery is concerned.
enum DirectoryEntry: Equatable {
    case user
    case alias(targets: [String])
}

/// What `verifyPassword` reads: the hash, and whether SCRAM keys exist yet.
struct PasswordRecord {
    var hash: String
    var hasSCRAMKeys: Bool
}

/// The row-level queries, on one connection inside one transaction, so each
/// directory operation sees (and checks against) a consistent snapshot. The queries asked
/// for every recipient (domain, user, alias) are prepared once per connection, not per
/// RCPT (`cachedStatement`).
struct DirectoryTables {
    let db: Database

    func domainExists(_ domain: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM domains WHERE name = ?)"),
                      arguments: [domain]) ?? false
    }

    func userExists(_ address: MailboxAddress) throws -> Bool {
        try passwordHash(of: address) != nil
    }

    func passwordHash(of address: MailboxAddress) throws -> String? {
        try String.fetchOne(
            db.cachedStatement(sql: "SELECT password_hash FROM users WHERE local_part = ? AND domain = ?"),
            arguments: [address.localPart, address.domain])
    }

    func passwordRecord(of address: MailboxAddress) throws -> PasswordRecord? {
        try Row.fetchOne(
            db, sql: "SELECT password_hash, scram_sha256 IS NOT NULL AS has_scram FROM users WHERE local_part = ? AND domain = ?",
            arguments: [address.localPart, address.domain]
        ).map { row in PasswordRecord(hash: row["password_hash"], hasSCRAMKeys: row["has_scram"]) }
    }

    /// The stored SCRAM keys, as `SCRAMCredentials.encoded`; nil for no such user or none yet.
    func scramKeys(of address: MailboxAddress) throws -> String? {
        try String.fetchOne(
            db, sql: "SELECT scram_sha256 FROM users WHERE local_part = ? AND domain = ?",
            arguments: [address.localPart, address.domain])
    }

    /// The secret the v2 migration created, for made-up SCRAM keys.
    func scramSecret() throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT secret FROM scram_secret WHERE id = 1").map { Array($0) }
    }

    /// The send-as grants of one user, as stored (canonical).
    func sendAsAddresses(of account: MailboxAddress) throws -> [String] {
        try String.fetchAll(
            db, sql: "SELECT address FROM send_as WHERE local_part = ? AND domain = ? ORDER BY address",
            arguments: [account.localPart, account.domain])
    }

    func aliasTargets(of address: MailboxAddress) throws -> [String]? {
        let stored = try String.fetchOne(
            db.cachedStatement(sql: "SELECT targets FROM aliases WHERE local_part = ? AND domain = ?"),
            arguments: [address.localPart, address.domain])
        return stored.map(Self.decodeTargets)
    }

    /// A user wins over an alias; `addUser`/`addAlias` keep them disjoint anyway.
    func entry(for address: MailboxAddress) throws -> DirectoryEntry? {
        if try userExists(address) { return .user }
        return try aliasTargets(of: address).map { .alias(targets: $0) }
    }

    /// Refuses an address already taken by a user or an alias.
    func checkAddressIsFree(_ address: MailboxAddress) throws {
        if try userExists(address) { throw DirectoryError.userExists(address.description) }
        if try aliasTargets(of: address) != nil { throw DirectoryError.aliasExists(address.description) }
    }

    func countEntries(inDomain domain: String) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT (SELECT COUNT(*) FROM users WHERE domain = ?) + (SELECT COUNT(*) FROM aliases WHERE domain = ?)",
            arguments: [domain, domain]) ?? 0
    }

    // Targets never contain newlines (AddressSyntax refuses control
    // characters), so one per line is an unambiguous encoding.
    static func encodeTargets(_ targets: [String]) -> String {
        targets.joined(separator: "\n")
    }

    static func decodeTargets(_ stored: String) -> [String] {
        stored.split(separator: "\n").map(String.init)
    }
}
