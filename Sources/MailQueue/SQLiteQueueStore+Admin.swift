import Foundation
import GRDB

/// `tsubame queue list|show|hold|release|delete`.
extension SQLiteQueueStore {
    public func listEntries() throws -> [QueueEntry] {
        try pool.read { db in
            try QueueRows.fetchEntries(db, idsSQL: "SELECT id FROM queue_messages ORDER BY arrived_at, id",
                                       arguments: [])
        }
    }

    public func entry(id: String) throws -> QueueEntry? {
        try pool.read { db in try QueueRows.fetchEntry(db, id: id) }
    }

    public func setHeld(_ held: Bool, messageID: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE queue_messages SET held = ? WHERE id = ?", arguments: [held, messageID])
            if db.changesCount == 0 { throw QueueError.noSuchMessage(messageID) }
        }
    }

    public func delete(messageID: String) throws -> String {
        try pool.write { db in
            guard let message = try QueueRows.fetchMessage(db, id: messageID) else {
                throw QueueError.noSuchMessage(messageID)
            }
            try db.execute(sql: "DELETE FROM queue_recipients WHERE message_id = ?", arguments: [messageID])
            try db.execute(sql: "DELETE FROM queue_messages WHERE id = ?", arguments: [messageID])
            return message.fileName
        }
    }
}
