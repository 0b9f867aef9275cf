import Foundation
import GRDB

/// What the delivery scheduler asks of the store: claims, results, and the end of a message.
extension SQLiteQueueStore {
    public func claimDue(now: Date, maximumBatches: Int, recipientsPerBatch: Int) throws -> [ClaimedBatch] {
        guard maximumBatches > 0, recipientsPerBatch > 0 else { return [] }
        let nowSeconds = Self.seconds(now)
        return try pool.write { db in
            // Oldest due groups first. In PostgreSQL this select takes the rows FOR UPDATE SKIP
            // LOCKED; SQLite has one writer, so the write transaction already excludes others.
            let groups = try Row.fetchAll(db, sql: """
                SELECT r.message_id, r.domain FROM queue_recipients r
                JOIN queue_messages m ON m.id = r.message_id
                WHERE r.status = 'pending' AND r.next_attempt_at <= ? AND m.held = FALSE
                GROUP BY r.message_id, r.domain
                ORDER BY MIN(r.next_attempt_at), r.message_id, r.domain
                LIMIT ?
                """, arguments: [nowSeconds, maximumBatches])
            var batches: [ClaimedBatch] = []
            for group in groups {
                let messageID: String = group["message_id"]
                let domain: String = group["domain"]
                guard let message = try QueueRows.fetchMessage(db, id: messageID) else { continue }
                let due = try Row.fetchAll(db, sql: """
                    SELECT \(QueueRows.recipientColumns) FROM queue_recipients
                    WHERE message_id = ? AND domain = ? AND status = 'pending' AND next_attempt_at <= ?
                    ORDER BY position LIMIT ?
                    """, arguments: [messageID, domain, nowSeconds, recipientsPerBatch]).map(QueueRows.recipient)
                var claimed: [QueuedRecipient] = []
                for var recipient in due {
                    recipient.status = .inFlight
                    recipient.attempts += 1
                    recipient.nextAttempt = nextAttempt(after: recipient.attempts, from: now)
                    try db.execute(sql: """
                        UPDATE queue_recipients SET status = 'inFlight', attempts = ?, next_attempt_at = ?
                        WHERE message_id = ? AND position = ?
                        """, arguments: [recipient.attempts, Self.seconds(recipient.nextAttempt), messageID,
                                         recipient.position])
                    claimed.append(recipient)
                }
                batches.append(ClaimedBatch(message: message, destinationDomain: domain, recipients: claimed))
            }
            return batches
        }
    }

    public func record(_ outcome: AttemptOutcome, messageID: String, position: Int, at time: Date) throws {
        try pool.write { db in
            guard let attempts = try Int.fetchOne(db, sql: """
                SELECT attempts FROM queue_recipients WHERE message_id = ? AND position = ? AND status = 'inFlight'
                """, arguments: [messageID, position]) else {
                throw QueueError.notInFlight(messageID: messageID, position: position)
            }
            let (status, reply): (RecipientStatus, RecordedReply) = switch outcome {
            case .delivered(let reply): (.delivered, reply)
            case .failed(let reply): (.failed, reply)
            case .deferred(let reply): (.pending, reply)
            }
            var next = try Int64.fetchOne(db, sql: """
                SELECT next_attempt_at FROM queue_recipients WHERE message_id = ? AND position = ?
                """, arguments: [messageID, position]) ?? Self.seconds(time)
            if case .deferred = outcome {
                // From the reply, not from the claim: an attempt that took the 10 minutes of
                // RFC 5321 §4.5.3.2.6 must not be due again the moment it ends.
                next = Self.seconds(nextAttempt(after: attempts, from: time))
            }
            try db.execute(sql: """
                UPDATE queue_recipients SET status = ?, next_attempt_at = ?, last_reply = ?, last_enhanced_code = ?,
                    remote_host = ?
                WHERE message_id = ? AND position = ?
                """, arguments: [status.rawValue, next, Self.bounded(reply.text), reply.enhancedCode.map(Self.bounded),
                                 reply.remoteHost.map(Self.bounded), messageID, position])
        }
    }

    public func removeIfFinished(messageID: String) throws -> String? {
        try pool.write { db in
            guard let message = try QueueRows.fetchMessage(db, id: messageID) else { return nil }
            // A failure not yet reported keeps the message: its DSN quotes the file (RFC 3464
            // §2.4), and a crash before the DSN is queued must not lose it.
            let open = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM queue_recipients WHERE message_id = ?
                    AND (status IN ('pending', 'inFlight') OR (status = 'failed' AND failure_reported = FALSE))
                """, arguments: [messageID]) ?? 0
            guard open == 0 else { return nil }
            try db.execute(sql: "DELETE FROM queue_recipients WHERE message_id = ?", arguments: [messageID])
            try db.execute(sql: "DELETE FROM queue_messages WHERE id = ?", arguments: [messageID])
            return message.fileName
        }
    }

    public func expiredMessages(now: Date) throws -> [QueueEntry] {
        try pool.read { db in
            try QueueRows.fetchEntries(db, idsSQL: """
                SELECT DISTINCT m.id FROM queue_messages m JOIN queue_recipients r ON r.message_id = m.id
                WHERE m.expires_at <= ? AND r.status = 'pending' ORDER BY m.id
                """, arguments: [Self.seconds(now)])
        }
    }

    public func messagesNeedingDelayNotice(now: Date, warningAfter: TimeInterval) throws -> [QueueEntry] {
        let arrivedBy = Self.seconds(now.addingTimeInterval(-warningAfter))
        return try pool.read { db in
            try QueueRows.fetchEntries(db, idsSQL: """
                SELECT DISTINCT m.id FROM queue_messages m JOIN queue_recipients r ON r.message_id = m.id
                WHERE m.arrived_at <= ? AND m.expires_at > ? AND r.status = 'pending'
                    AND r.delay_notice_sent = FALSE AND r.attempts > 0
                ORDER BY m.id
                """, arguments: [arrivedBy, Self.seconds(now)])
        }
    }

    public func markDelayNoticeSent(messageID: String, positions: [Int]) throws {
        try pool.write { db in
            for position in positions {
                try db.execute(sql: """
                    UPDATE queue_recipients SET delay_notice_sent = TRUE WHERE message_id = ? AND position = ?
                    """, arguments: [messageID, position])
            }
        }
    }

    public func failPending(messageID: String, reason: RecordedReply) throws -> [QueuedRecipient] {
        try pool.write { db in
            guard try QueueRows.fetchMessage(db, id: messageID) != nil else { throw QueueError.noSuchMessage(messageID) }
            let pending = try QueueRows.fetchRecipients(db, messageID: messageID).filter { $0.status == .pending }
            try db.execute(sql: """
                UPDATE queue_recipients SET status = 'failed', last_reply = ?, last_enhanced_code = ?
                WHERE message_id = ? AND status = 'pending'
                """, arguments: [Self.bounded(reason.text), reason.enhancedCode, messageID])
            return try QueueRows.fetchRecipients(db, messageID: messageID)
                .filter { recipient in pending.contains { $0.position == recipient.position } }
        }
    }

    func nextAttempt(after attempts: Int, from time: Date) -> Date {
        time.addingTimeInterval(schedule.delay(afterAttempts: attempts, sample: jitter.next()))
    }

    /// A peer's reply is input: RFC 5321 §4.5.3.1.5 bounds a reply line at 512 octets, and a
    /// multi-line reply is kept to a few of them.
    static func bounded(_ text: String) -> String {
        text.utf8.count <= 2048 ? text : String(decoding: text.utf8.prefix(2048), as: UTF8.self)
    }
}
