import Foundation
import GRDB

/// What the delivery scheduler asks of the store: claims, results, and the end of a message.
extension SQLiteQueueStore {
    public func claimDue(now: Date, maximumBatches: Int, recipientsPerBatch: Int) throws -> [ClaimedBatch] {
        guard maximumBatches > 0, recipientsPerBatch > 0 else { return [] }
        let nowSeconds = Self.seconds(now)
        return try pool.write { db in
            // Oldest due groups first, read straight off the (status, next_attempt_at) index:
            // no scan of the whole queue per claim, however long the backlog. Rows of one group
            // come together, so a few rows per wanted group find enough groups. In PostgreSQL
            // this select takes the rows FOR UPDATE SKIP LOCKED; SQLite has one writer, so the
            // write transaction already excludes others.
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.message_id, r.domain FROM queue_recipients r
                JOIN queue_messages m ON m.id = r.message_id
                WHERE r.status = 'pending' AND r.next_attempt_at <= ? AND m.held = FALSE
                ORDER BY r.next_attempt_at
                LIMIT ?
                """), arguments: [nowSeconds, maximumBatches * 8])
            var seen = Set<[String]>()
            var groups: [(messageID: String, domain: String)] = []
            for row in rows where groups.count < maximumBatches {
                let key: [String] = [row["message_id"], row["domain"]]
                if seen.insert(key).inserted { groups.append((key[0], key[1])) }
            }
            var batches: [ClaimedBatch] = []
            for (messageID, domain) in groups {
                guard let message = try QueueRows.fetchMessage(db, id: messageID) else { continue }
                // The message's rows by its key, filtered here: with the due terms in the WHERE,
                // SQLite chose the (status, next_attempt_at) index and walked every due row of
                // the queue for each batch (a 5,000-message flush spent 44 % of its CPU there).
                let due = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT \(QueueRows.recipientColumns) FROM queue_recipients WHERE message_id = ? ORDER BY position
                    """), arguments: [messageID]).map(QueueRows.recipient)
                    .filter { $0.destinationDomain == domain && $0.status == .pending
                        && Self.seconds($0.nextAttempt) <= nowSeconds }
                    .prefix(recipientsPerBatch)
                var claimed: [QueuedRecipient] = []
                for var recipient in due {
                    recipient.status = .inFlight
                    recipient.attempts += 1
                    recipient.nextAttempt = nextAttempt(after: recipient.attempts, from: now)
                    try db.cachedStatement(sql: """
                        UPDATE queue_recipients SET status = 'inFlight', attempts = ?, next_attempt_at = ?
                        WHERE message_id = ? AND position = ?
                        """).execute(arguments: [recipient.attempts, Self.seconds(recipient.nextAttempt), messageID,
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
            guard try recordResult(db, outcome, messageID: messageID, position: position, at: time) else {
                throw QueueError.notInFlight(messageID: messageID, position: position)
            }
        }
    }

    public func recordTransaction(_ results: [(position: Int, outcome: AttemptOutcome)], messageID: String,
                                  at time: Date) throws -> TransactionRecord {
        try recordTransactions([TransactionResults(messageID: messageID, results: results)], at: time)[0]
    }

    public func recordTransactions(_ transactions: [TransactionResults], at time: Date) throws -> [TransactionRecord] {
        try pool.write { db in
            try transactions.map { transaction in
                var record = TransactionRecord()
                for (position, outcome) in transaction.results {
                    if try !recordResult(db, outcome, messageID: transaction.messageID, position: position, at: time) {
                        record.notInFlight.append(position)
                    }
                }
                record.finishedFileName = try deleteIfFinished(db, messageID: transaction.messageID)
                return record
            }
        }
    }

    /// False when the recipient is not in flight (deleted meanwhile, or never claimed).
    private func recordResult(_ db: Database, _ outcome: AttemptOutcome, messageID: String, position: Int,
                              at time: Date) throws -> Bool {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT attempts, next_attempt_at FROM queue_recipients
            WHERE message_id = ? AND position = ? AND status = 'inFlight'
            """), arguments: [messageID, position]) else { return false }
        let attempts: Int = row["attempts"]
        var next: Int64 = row["next_attempt_at"]
        let (status, reply): (RecipientStatus, RecordedReply) = switch outcome {
        case .delivered(let reply): (.delivered, reply)
        case .failed(let reply): (.failed, reply)
        case .deferred(let reply): (.pending, reply)
        }
        if case .deferred = outcome {
            // From the reply, not from the claim: an attempt that took the 10 minutes of
            // RFC 5321 §4.5.3.2.6 must not be due again the moment it ends.
            next = Self.seconds(nextAttempt(after: attempts, from: time))
        }
        try db.cachedStatement(sql: """
            UPDATE queue_recipients SET status = ?, next_attempt_at = ?, last_reply = ?, last_enhanced_code = ?,
                remote_host = ?
            WHERE message_id = ? AND position = ?
            """).execute(arguments: [status.rawValue, next, Self.bounded(reply.text),
                                     reply.enhancedCode.map(Self.bounded), reply.remoteHost.map(Self.bounded),
                                     messageID, position])
        return true
    }

    public func removeIfFinished(messageID: String) throws -> String? {
        try pool.write { db in try deleteIfFinished(db, messageID: messageID) }
    }

    /// Deletes the rows of a message with nothing left to send or report; its file name, or nil.
    private func deleteIfFinished(_ db: Database, messageID: String) throws -> String? {
        guard let fileName = try String.fetchOne(db.cachedStatement(
            sql: "SELECT file_name FROM queue_messages WHERE id = ?"), arguments: [messageID]) else { return nil }
        // A failure not yet reported keeps the message: its DSN quotes the file (RFC 3464
        // §2.4), and a crash before the DSN is queued must not lose it.
        let open = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM queue_recipients WHERE message_id = ?
                AND (status IN ('pending', 'inFlight') OR (status = 'failed' AND failure_reported = FALSE)))
            """), arguments: [messageID]) ?? true
        guard !open else { return nil }
        try db.cachedStatement(sql: "DELETE FROM queue_recipients WHERE message_id = ?").execute(arguments: [messageID])
        try db.cachedStatement(sql: "DELETE FROM queue_messages WHERE id = ?").execute(arguments: [messageID])
        return fileName
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

    public func failPending(messageID: String, reason: RecordedReply, keepingLastReply: Bool) throws -> [QueuedRecipient] {
        try pool.write { db in
            guard try QueueRows.fetchMessage(db, id: messageID) != nil else { throw QueueError.noSuchMessage(messageID) }
            let pending = try QueueRows.fetchRecipients(db, messageID: messageID).filter { $0.status == .pending }
            let replySQL = keepingLastReply ? "COALESCE(last_reply, ?)" : "?"
            try db.execute(sql: """
                UPDATE queue_recipients SET status = 'failed', last_reply = \(replySQL), last_enhanced_code = ?
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
