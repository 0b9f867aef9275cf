import Foundation
import GRDB

/// The database layout, as GRDB migrations so that later versions can evolve
/// it in place on existing installations.
enum DirectorySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // All names are stored lowercased; lookups compare them exactly.
            // The foreign keys back up removeDomain's "not empty" check.
            try db.execute(sql: """
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
                    targets TEXT NOT NULL, -- newline-separated canonical addresses
                    created_at DATETIME NOT NULL,
                    PRIMARY KEY (local_part, domain)
                );
                CREATE INDEX aliases_by_domain ON aliases(domain);
                """)
        }
        // Issue 9 (submission): SCRAM-SHA-256 keys beside the hash, send-as grants, and the
        // secret behind the made-up SCRAM keys of unknown users. v1 stays as released, so an
        // existing directory migrates in place.
        migrator.registerMigration("v2") { db in
            // RFC 5802 §3: salt, iteration count, StoredKey and ServerKey, as
            // `SCRAMCredentials.encoded`. NULL until the password is next seen (set, or a
            // successful PLAIN/LOGIN login): the hash alone cannot give them.
            // A grant belongs to its user: removing the user removes it (ON DELETE CASCADE).
            try db.execute(sql: """
                ALTER TABLE users ADD COLUMN scram_sha256 TEXT;
                CREATE TABLE send_as (
                    local_part TEXT NOT NULL,
                    domain TEXT NOT NULL,
                    address TEXT NOT NULL, -- canonical "local@domain", or "@domain" for a whole domain
                    created_at DATETIME NOT NULL,
                    PRIMARY KEY (local_part, domain, address),
                    FOREIGN KEY (local_part, domain) REFERENCES users(local_part, domain) ON DELETE CASCADE
                );
                CREATE TABLE scram_secret (
                    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
                    secret BLOB NOT NULL
                );
                """)
            try db.execute(sql: "INSERT INTO scram_secret (id, secret) VALUES (1, ?)",
                           arguments: [Data(SCRAMDecoyKeys.randomSecret())])
        }
        return migrator
    }
}
