import AccountDirectory
import Foundation
import GRDB
import SASL
import Testing

/// Schema v2 (issue 9) on a directory written by v1: migrated in place when the server or the
/// CLI opens it, nothing lost.
@Suite struct AccountDirectoryMigrationTests {
    /// The v1 schema as released (DirectorySchema.swift, migration "v1"), and GRDB's record of
    /// it, so the directory sees a v1 database exactly as an older Tsubame left it.
    static let version1SQL = """
        CREATE TABLE domains (
            name TEXT NOT NULL PRIMARY KEY,
            created_at DATETIME NOT NULL
        );
        CREATE TABLE users (
            local_part TEXT NOT NULL,
            domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
            password_hash TEXT NOT NULL,
            created_at DATETIME NOT NULL,
            PRIMARY KEY (local_part, domain)
        );
        CREATE INDEX users_by_domain ON users(domain);
        CREATE TABLE aliases (
            local_part TEXT NOT NULL,
            domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,
            targets TEXT NOT NULL,
            created_at DATETIME NOT NULL,
            PRIMARY KEY (local_part, domain)
        );
        CREATE INDEX aliases_by_domain ON aliases(domain);
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations (identifier) VALUES ('v1');
        """

    static let password = "correct horse"

    /// example.org with alice (password "correct horse") and info@ -> alice, written by v1.
    static func version1Directory() throws -> TemporaryDirectoryFile {
        let file = try TemporaryDirectoryFile("MigrationTests")
        let hash = try PasswordHash.make(password)
        try file.database().write { db in
            try db.execute(sql: version1SQL)
            try db.execute(sql: "INSERT INTO domains (name, created_at) VALUES ('example.org', ?)", arguments: [Date()])
            try db.execute(sql: "INSERT INTO users VALUES ('alice', 'example.org', ?, ?)", arguments: [hash, Date()])
            try db.execute(sql: "INSERT INTO aliases VALUES ('info', 'example.org', 'alice@example.org', ?)",
                           arguments: [Date()])
        }
        return file
    }

    @Test func aVersion1DirectoryMigratesInPlaceKeepingItsData() throws {
        let file = try Self.version1Directory()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        let directory = try file.open()
        let alice = MailboxAddress(localPart: "alice", domain: "example.org")
        #expect(try directory.listUsers(domain: nil).map(\.address) == [alice])
        #expect(try directory.verifyPassword(address: "alice@example.org", password: Self.password) == alice)
        #expect(try directory.lookupRecipient(localPart: "info", domain: "example.org", recipientDelimiter: nil)
                == .deliver(RecipientExpansion(mailboxes: [alice])))
        let applied = try file.database().read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(applied == ["v1", "v2"])
        // The new tables work on the migrated file.
        try directory.addSendAs(account: "alice@example.org", address: "@example.net")
        #expect(try directory.listSendAs(account: nil) == [SendAsGrant(account: alice, address: "@example.net")])
    }

    @Test func theMigrationCreatesOneRandomSecretPerDirectory() throws {
        let first = try Self.version1Directory()
        let second = try TemporaryDirectoryFile("MigrationTests")
        _ = try first.open()
        _ = try second.open()
        func secrets(_ file: TemporaryDirectoryFile) throws -> [Data] {
            try file.database().read { db in try Data.fetchAll(db, sql: "SELECT secret FROM scram_secret") }
        }
        let a = try secrets(first)
        let b = try secrets(second)
        #expect(a.count == 1 && b.count == 1)
        #expect(a.first?.count == 32)
        #expect(a != b)
        // Opening again migrates nothing and keeps the secret.
        _ = try first.open()
        #expect(try secrets(first) == a)
    }

    @Test func usersFromVersion1HaveNoSCRAMKeysUntilTheirPasswordIsSeen() throws {
        let file = try Self.version1Directory()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        let directory = try file.open()
        #expect(try file.storedSCRAMKeys("alice", "example.org") == nil)
        // Until then, SCRAM sees made-up keys: no mailbox, so no login.
        #expect(try directory.scramCredentials(address: "alice@example.org").mailbox == nil)
        _ = try directory.verifyPassword(address: "alice@example.org", password: Self.password)
        #expect(try directory.scramCredentials(address: "alice@example.org").mailbox
                == MailboxAddress(localPart: "alice", domain: "example.org"))
    }
}
