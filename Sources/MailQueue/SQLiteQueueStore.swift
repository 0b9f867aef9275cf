import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `QueueStore` on SQLite (GRDB `DatabasePool`): `DATA/queue.sqlite`.
///
/// WAL lets `tsubame queue …` read and write while the server runs; the busy timeout makes one
/// writer wait for the other instead of failing. `synchronous = FULL` syncs the WAL at every
/// commit, so a committed enqueue survives a power loss (with NORMAL, WAL mode may lose the
/// last commits) — the 250 depends on it.
public final class SQLiteQueueStore: QueueStore, Sendable {
    static let busyTimeout: TimeInterval = 5
    /// RFC 5321 §4.5.3.1.8 asks servers to accept at least 100 recipients; aliases may expand
    /// further. A bound keeps one message from becoming an unbounded transaction.
    public static let maximumRecipients = 10_000

    let pool: DatabasePool
    let schedule: RetrySchedule
    let jitter: JitterSource

    public init(path: String, schedule: RetrySchedule = RetrySchedule(), jitter: JitterSource = .system) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)  // addresses are personal data
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        close(fd)
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeout)
        config.label = "MailQueue"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: config)
        self.schedule = schedule
        self.jitter = jitter
        try QueueSchema.migrator.migrate(pool)
    }

    public func enqueue(_ message: NewQueuedMessage) throws {
        guard !message.recipients.isEmpty else { throw QueueError.invalidInput("a message without recipients") }
        guard message.recipients.count <= Self.maximumRecipients else {
            throw QueueError.tooManyRecipients(message.recipients.count)
        }
        try pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM queue_messages WHERE id = ?", arguments: [message.id]) != nil {
                throw QueueError.duplicateMessage(message.id)
            }
            let arrival = Self.seconds(message.arrival)
            try db.execute(sql: """
                INSERT INTO queue_messages (id, file_name, reverse_path, envid, ret, needs_8bitmime, needs_smtputf8,
                    size, arrived_at, expires_at, held, account, header_prefix)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?)
                """, arguments: [message.id, message.fileName, message.reversePath, message.envelopeID,
                                 message.returnContent?.rawValue, message.needs8BitMIME, message.needsSMTPUTF8,
                                 message.size, arrival, Self.seconds(schedule.expiry(arrival: message.arrival)),
                                 message.submittingAccount, message.headerPrefix])
            for (position, recipient) in message.recipients.enumerated() {
                try db.execute(sql: """
                    INSERT INTO queue_recipients (message_id, position, address, orcpt, notify, domain, status,
                        attempts, next_attempt_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?)
                    """, arguments: [message.id, position, recipient.address, recipient.originalRecipient,
                                     recipient.notify, recipient.destinationDomain, arrival])
            }
        }
    }

    public func recoverInterrupted() throws -> Int {
        try pool.write { db in
            try db.execute(sql: "UPDATE queue_recipients SET status = 'pending' WHERE status = 'inFlight'")
            return db.changesCount
        }
    }

    /// Whole seconds: what both SQLite and PostgreSQL store exactly in a BIGINT.
    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
}
