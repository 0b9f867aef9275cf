import Foundation
import GRDB

/// `queue flush`, `queue bounce`, and the bookkeeping that makes every failure reach its
/// sender (RFC 5321 §4.4 / §6.1: a server that accepted a message must deliver it or report
/// the failure). The scheduler polls these; the CLI only writes flags, so the commands work
/// while the server runs.
extension SQLiteQueueStore: QueueReports {
    /// Pending recipients not yet due are made due at `now`; a held message stays held (its
    /// recipients are due the moment it is released). Returns the recipients now due: pending,
    /// next attempt ≤ now, in messages that are not held. In-flight ones are left alone: they
    /// are being tried.
    public func flush(messageID: String?, now: Date) throws -> Int {
        let nowSeconds = Self.seconds(now)
        return try pool.write { db in
            var scope = ""
            var arguments: StatementArguments = [nowSeconds, nowSeconds]
            if let messageID {
                guard try QueueRows.fetchMessage(db, id: messageID) != nil else {
                    throw QueueError.noSuchMessage(messageID)
                }
                scope = " AND message_id = ?"
                arguments += [messageID]
            }
            // Only later times move: one already overdue keeps its place in the claim order.
            try db.execute(sql: """
                UPDATE queue_recipients SET next_attempt_at = ?
                WHERE status = 'pending' AND next_attempt_at > ?\(scope)
                """, arguments: arguments)
            var countArguments: StatementArguments = [nowSeconds]
            if let messageID { countArguments += [messageID] }
            return try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM queue_recipients r JOIN queue_messages m ON m.id = r.message_id
                WHERE r.status = 'pending' AND r.next_attempt_at <= ? AND m.held = FALSE\(scope.isEmpty ? "" : " AND m.id = ?")
                """, arguments: countArguments) ?? 0
        }
    }

    /// A held message is bounced too: the administrator asked for it by name.
    public func requestBounce(messageID: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE queue_messages SET bounce_requested = TRUE WHERE id = ?", arguments: [messageID])
            if db.changesCount == 0 { throw QueueError.noSuchMessage(messageID) }
        }
    }

    /// Each entry lists all its recipients; the scheduler's `failPending` picks the pending
    /// ones. Recipients in flight finish their attempt first: a deferral makes them pending,
    /// and the next look fails them.
    public func bounceRequestedMessages() throws -> [QueueEntry] {
        try pool.read { db in
            try QueueRows.fetchEntries(db, idsSQL: """
                SELECT DISTINCT m.id FROM queue_messages m JOIN queue_recipients r ON r.message_id = m.id
                WHERE m.bounce_requested = TRUE AND r.status = 'pending' ORDER BY m.id
                """, arguments: [])
        }
    }

    /// The scheduler marks them reported once the DSN is queued or delivered — and also when
    /// none is owed (a null reverse path, RFC 5321 §4.5.5; NOTIFY=NEVER, RFC 3461 §4.1).
    public func unreportedFailures() throws -> [QueueEntry] {
        try pool.read { db in
            try QueueRows.fetchEntries(db, idsSQL: """
                SELECT DISTINCT message_id FROM queue_recipients
                WHERE status = 'failed' AND failure_reported = FALSE ORDER BY message_id
                """, arguments: []).map { entry in
                var entry = entry
                entry.recipients.removeAll { $0.status != .failed || $0.failureReported }
                return entry
            }
        }
    }

    /// Positions that are not failed, or a message deleted meanwhile (`queue delete`), are
    /// passed over: the report was made, there is nothing left to keep.
    public func markFailureReported(messageID: String, positions: [Int]) throws {
        try pool.write { db in
            for position in positions {
                try db.execute(sql: """
                    UPDATE queue_recipients SET failure_reported = TRUE
                    WHERE message_id = ? AND position = ? AND status = 'failed'
                    """, arguments: [messageID, position])
            }
        }
    }
}
