import Foundation
import GRDB

extension SQLiteAccountDirectory {
    /// `alias` is an address, or "@example.org" for the domain's catch-all.
    public func addAlias(_ alias: String, targets: [String]) throws {
        let address = try Self.canonicalAlias(alias)
        guard !targets.isEmpty else { throw DirectoryError.invalidAddress("\(address) needs at least one target") }
        try pool.write { db in
            let tables = DirectoryTables(db: db)
            guard try tables.domainExists(address.domain) else { throw DirectoryError.unknownDomain(address.domain) }
            try tables.checkAddressIsFree(address)
            let canonicalTargets = try Self.canonicalTargets(targets, of: address, in: tables)
            if try Self.aliasTargets(canonicalTargets, reach: address, in: tables) {
                throw DirectoryError.aliasLoop(address.description)
            }
            try db.execute(
                sql: "INSERT INTO aliases (local_part, domain, targets, created_at) VALUES (?, ?, ?, ?)",
                arguments: [address.localPart, address.domain, DirectoryTables.encodeTargets(canonicalTargets), Date()])
        }
    }

    public func removeAlias(_ alias: String) throws {
        let address = try Self.canonicalAlias(alias)
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM aliases WHERE local_part = ? AND domain = ?",
                arguments: [address.localPart, address.domain])
            if db.changesCount == 0 { throw DirectoryError.noSuchAlias(address.description) }
        }
    }

    public func listAliases(domain: String?) throws -> [AliasRecord] {
        try pool.read { db in
            let filter = try Self.checkDomainFilter(domain, in: DirectoryTables(db: db))
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT local_part, domain, targets FROM aliases
                    WHERE ?1 IS NULL OR domain = ?1
                    ORDER BY domain, local_part
                    """,
                arguments: [filter])
            return rows.map { row in
                let address = MailboxAddress(localPart: row["local_part"], domain: row["domain"])
                return AliasRecord(alias: address.description, targets: DirectoryTables.decodeTargets(row["targets"]))
            }
        }
    }

    /// An alias address, or a catch-all "@example.org" (stored with an empty local part).
    static func canonicalAlias(_ alias: String) throws -> MailboxAddress {
        if let domain = AddressSyntax.catchAllDomain(alias) { return .catchAll(domain: domain) }
        return try canonicalMailbox(alias)
    }

    /// Validates targets and puts them in stored form, deduplicated in order.
    /// Local targets must exist now, which catches typos at the prompt; remote
    /// ones can only be checked by delivering to them.
    private static func canonicalTargets(_ targets: [String], of alias: MailboxAddress, in tables: DirectoryTables) throws -> [String] {
        var result: [String] = []
        for target in targets {
            let canonical: String
            if let local = MailboxAddress(parsing: target), try tables.domainExists(local.domain) {
                if local == alias { throw DirectoryError.aliasLoop(alias.description) }
                guard try tables.entry(for: local) != nil else { throw DirectoryError.noSuchUser(local.description) }
                canonical = local.description
            } else if let remote = AddressSyntax.canonicalRemoteAddress(target) {
                // A target in a local domain whose local part is not valid for
                // a mailbox cannot name an existing user.
                if let domain = remote.split(separator: "@").last, try tables.domainExists(String(domain)) {
                    throw DirectoryError.invalidAddress(target)
                }
                canonical = remote
            } else {
                throw DirectoryError.invalidAddress(target)
            }
            if !result.contains(canonical) { result.append(canonical) }
        }
        return result
    }

    /// Whether following `targets` through existing aliases leads back to
    /// `alias`. Expansion would survive such a cycle, but it is always a
    /// mistake, so it is refused when it is being created.
    private static func aliasTargets(_ targets: [String], reach alias: MailboxAddress, in tables: DirectoryTables) throws -> Bool {
        var pending = targets
        var visited: Set<String> = []
        while let target = pending.popLast() {
            guard visited.insert(target).inserted, let local = MailboxAddress(parsing: target) else { continue }
            if local == alias { return true }
            if let nested = try tables.aliasTargets(of: local) { pending.append(contentsOf: nested) }
        }
        return false
    }
}
