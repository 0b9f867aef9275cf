import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SQLite (GRDB DatabasePool, WAL mode) implementation. `path` is e.g. DATA/directory.sqlite.
///
/// WAL lets the running server keep reading while the CLI writes; the busy
/// timeout makes a writer wait for another process's write instead of failing.
/// Every operation is one transaction, and writes are IMMEDIATE (GRDB's
/// default), so check-then-insert sequences cannot race each other.
public final class SQLiteAccountDirectory: AccountDirectory, Sendable {
    /// How long a write waits for another process holding the write lock.
    static let busyTimeout: TimeInterval = 5

    let pool: DatabasePool
    /// The database file (its -wal file is beside it).
    public let path: String
    /// Successful password checks of this process (`[auth] cache_seconds`, `cache_size`).
    public let verifiedPasswords = VerifiedPasswords()

    /// Creates the file (mode 0600) and the schema if missing.
    public init(path: String) throws {
        self.path = path
        try Self.createPrivateFileIfMissing(at: path)
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.label = "AccountDirectory"
        pool = try DatabasePool(path: path, configuration: config)
        try DirectorySchema.migrator.migrate(pool)
    }

    /// The database holds password hashes, so it must not be world-readable,
    /// whatever the umask. SQLite gives the -wal and -shm files the mode of
    /// the main file, so creating that one with 0600 covers all three.
    private static func createPrivateFileIfMissing(at path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        close(fd)
    }

    // MARK: - Domains

    public func isLocalDomain(_ domain: String) throws -> Bool {
        let domain = domain.lowercased()
        return try pool.read { db in try DirectoryTables(db: db).domainExists(domain) }
    }

    public func addDomain(_ domain: String) throws {
        let name = try Self.canonicalDomain(domain)
        try pool.write { db in
            if try DirectoryTables(db: db).domainExists(name) { throw DirectoryError.domainExists(name) }
            try db.execute(sql: "INSERT INTO domains (name, created_at) VALUES (?, ?)", arguments: [name, Date()])
        }
    }

    public func removeDomain(_ domain: String) throws {
        let name = try Self.canonicalDomain(domain)
        try pool.write { db in
            let tables = DirectoryTables(db: db)
            guard try tables.domainExists(name) else { throw DirectoryError.noSuchDomain(name) }
            // Removing a domain must never orphan mailboxes or aliases; the
            // operator removes those first, deliberately.
            guard try tables.countEntries(inDomain: name) == 0 else { throw DirectoryError.domainNotEmpty(name) }
            try db.execute(sql: "DELETE FROM domains WHERE name = ?", arguments: [name])
        }
    }

    public func listDomains() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM domains ORDER BY name") }
    }

    public func firstAddedDomain() throws -> String? {
        // created_at is stored as sortable text; rowid breaks ties within one millisecond.
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT name FROM domains ORDER BY created_at, rowid LIMIT 1")
        }
    }

    // MARK: - Input validation

    static func canonicalDomain(_ domain: String) throws -> String {
        let name = domain.lowercased()
        guard AddressSyntax.isValidDomain(name) else { throw DirectoryError.invalidAddress(domain) }
        return name
    }

    static func canonicalMailbox(_ address: String) throws -> MailboxAddress {
        guard let mailbox = MailboxAddress(parsing: address) else { throw DirectoryError.invalidAddress(address) }
        return mailbox
    }

    /// Validates an optional domain filter and checks it exists, so a typo in
    /// `--domain` is reported rather than shown as an empty list.
    static func checkDomainFilter(_ domain: String?, in tables: DirectoryTables) throws -> String? {
        guard let domain else { return nil }
        let name = try canonicalDomain(domain)
        guard try tables.domainExists(name) else { throw DirectoryError.noSuchDomain(name) }
        return name
    }
}
