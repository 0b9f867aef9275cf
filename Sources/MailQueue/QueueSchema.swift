import GRDB

/// The queue's tables, as versioned GRDB migrations: later versions change them in place.
///
/// The SQL is kept portable so that a PostgreSQL `QueueStore` can use the same layout: times
/// are Unix seconds in BIGINT, flags are BOOLEAN, statuses are text with a CHECK, the header
/// prefix is a BLOB (BYTEA there). No SQLite-only types or functions.
enum QueueSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE queue_messages (
                    id TEXT NOT NULL PRIMARY KEY,
                    file_name TEXT NOT NULL UNIQUE,
                    reverse_path TEXT NOT NULL,
                    envid TEXT,
                    ret TEXT CHECK (ret IN ('FULL', 'HDRS')),
                    needs_8bitmime BOOLEAN NOT NULL,
                    needs_smtputf8 BOOLEAN NOT NULL,
                    size BIGINT NOT NULL,
                    arrived_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    held BOOLEAN NOT NULL DEFAULT FALSE,
                    account TEXT,
                    header_prefix BLOB
                );
                CREATE TABLE queue_recipients (
                    message_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    address TEXT NOT NULL,
                    orcpt TEXT,
                    notify TEXT,
                    domain TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'inFlight', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at BIGINT NOT NULL,
                    last_reply TEXT,
                    last_enhanced_code TEXT,
                    remote_host TEXT,
                    delay_notice_sent BOOLEAN NOT NULL DEFAULT FALSE,
                    PRIMARY KEY (message_id, position)
                );
                CREATE INDEX queue_recipients_due ON queue_recipients(status, next_attempt_at);
                """)
        }
        // `queue bounce` and the reports of failures (QueueReports). ADD COLUMN with a constant
        // DEFAULT is portable (SQLite, PostgreSQL) and fills the rows v1 left: not asked to
        // bounce, and any failed recipient not yet reported — v1 sent no DSNs, so its sender is
        // still owed one.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE queue_messages ADD COLUMN bounce_requested BOOLEAN NOT NULL DEFAULT FALSE;
                ALTER TABLE queue_recipients ADD COLUMN failure_reported BOOLEAN NOT NULL DEFAULT FALSE;
                """)
        }
        return migrator
    }
}
