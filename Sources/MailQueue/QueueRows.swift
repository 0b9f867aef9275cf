import Foundation
import GRDB

/// Reading rows into records, and the reads several operations share.
enum QueueRows {
    static let messageColumns = """
        id, file_name, reverse_path, envid, ret, needs_8bitmime, needs_smtputf8, size, arrived_at, expires_at,
        held, account, header_prefix, bounce_requested
        """
    static let recipientColumns = """
        message_id, position, address, orcpt, notify, domain, status, attempts, next_attempt_at, last_reply,
        last_enhanced_code, remote_host, delay_notice_sent, failure_reported
        """

    static func message(_ row: Row) throws -> QueuedMessage {
        let ret: String? = row["ret"]
        return QueuedMessage(
            id: row["id"], fileName: row["file_name"], reversePath: row["reverse_path"], envelopeID: row["envid"],
            returnContent: try ret.map { (value: String) throws -> ReturnContent in
                guard let parsed = ReturnContent(rawValue: value) else { throw QueueError.invalidInput("ret \(value)") }
                return parsed
            },
            needs8BitMIME: row["needs_8bitmime"], needsSMTPUTF8: row["needs_smtputf8"], size: row["size"],
            arrival: SQLiteQueueStore.date(row["arrived_at"]), expiry: SQLiteQueueStore.date(row["expires_at"]),
            held: row["held"], submittingAccount: row["account"], headerPrefix: row["header_prefix"],
            bounceRequested: row["bounce_requested"])
    }

    static func recipient(_ row: Row) throws -> QueuedRecipient {
        let status: String = row["status"]
        guard let parsed = RecipientStatus(rawValue: status) else { throw QueueError.invalidInput("status \(status)") }
        return QueuedRecipient(
            messageID: row["message_id"], position: row["position"], address: row["address"],
            originalRecipient: row["orcpt"], notify: row["notify"], destinationDomain: row["domain"], status: parsed,
            attempts: row["attempts"], nextAttempt: SQLiteQueueStore.date(row["next_attempt_at"]),
            lastReply: row["last_reply"], lastEnhancedCode: row["last_enhanced_code"], remoteHost: row["remote_host"],
            delayNoticeSent: row["delay_notice_sent"], failureReported: row["failure_reported"])
    }

    static func fetchMessage(_ db: Database, id: String) throws -> QueuedMessage? {
        try Row.fetchOne(db, sql: "SELECT \(messageColumns) FROM queue_messages WHERE id = ?", arguments: [id])
            .map(message)
    }

    static func fetchRecipients(_ db: Database, messageID: String) throws -> [QueuedRecipient] {
        try Row.fetchAll(db, sql: "SELECT \(recipientColumns) FROM queue_recipients WHERE message_id = ? ORDER BY position",
                         arguments: [messageID]).map(recipient)
    }

    static func fetchEntry(_ db: Database, id: String) throws -> QueueEntry? {
        guard let message = try fetchMessage(db, id: id) else { return nil }
        return QueueEntry(message: message, recipients: try fetchRecipients(db, messageID: id))
    }

    /// The entries whose ids a query returns, in its order.
    static func fetchEntries(_ db: Database, idsSQL: String, arguments: StatementArguments) throws -> [QueueEntry] {
        try String.fetchAll(db, sql: idsSQL, arguments: arguments).compactMap { try fetchEntry(db, id: $0) }
    }
}
