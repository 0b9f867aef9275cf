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
        return migrator
    }
}
