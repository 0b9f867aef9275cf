import Foundation
import GRDB

/// The per-user cache `tsubame-imap.sqlite` in the Maildir root (WAL): per folder the
/// UIDVALIDITY, highest MODSEQ and \Recent boundary; per message its MODSEQ, internal date and
/// cached ENVELOPE/BODYSTRUCTURE in wire form. Never the only copy of anything (flags live in
/// file names, UIDs in dovecot-uidlist): every read may fail or find nothing and the caller
/// falls back to the Maildir; every write failure is ignored. Delete the file and it is rebuilt.
final class MailboxCache: @unchecked Sendable {
    static let fileName = "tsubame-imap.sqlite"

    struct FolderRow: Equatable {
        var highestModSeq: UInt64
        var recentBoundary: UInt32
    }

    private let queue: DatabaseQueue

    init(root: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "IMAPMailboxCache"
        configuration.prepareDatabase { db in
            // The cache can be rebuilt: NORMAL is durable enough under WAL.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        queue = try DatabaseQueue(path: "\(root)/\(Self.fileName)", configuration: configuration)
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
        try Self.migrator.migrate(queue)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE folders (
                    folder TEXT PRIMARY KEY NOT NULL,
                    uid_validity INTEGER NOT NULL,
                    highest_modseq INTEGER NOT NULL,
                    recent_boundary INTEGER NOT NULL);
                CREATE TABLE messages (
                    folder TEXT NOT NULL,
                    uid INTEGER NOT NULL,
                    modseq INTEGER NOT NULL DEFAULT 1,
                    internal_date INTEGER,
                    size INTEGER,
                    envelope BLOB,
                    body_structure BLOB,
                    PRIMARY KEY (folder, uid)) WITHOUT ROWID;
                """)
        }
        return migrator
    }

    /// The folder's row; rows of an older UIDVALIDITY are dropped (their UIDs mean other
    /// messages now) and nil is answered.
    func folder(path: String, uidValidity: UInt32) -> FolderRow? {
        try? queue.write { db -> FolderRow? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM folders WHERE folder = ?", arguments: [path]) else {
                try db.execute(sql: "INSERT INTO folders VALUES (?, ?, 1, 1)", arguments: [path, Int64(uidValidity)])
                try db.execute(sql: "DELETE FROM messages WHERE folder = ?", arguments: [path])
                return nil
            }
            let stored: Int64 = row["uid_validity"]
            guard stored == Int64(uidValidity) else {
                try db.execute(sql: "DELETE FROM messages WHERE folder = ?", arguments: [path])
                try db.execute(sql: "UPDATE folders SET uid_validity = ?, highest_modseq = 1, recent_boundary = 1 WHERE folder = ?",
                               arguments: [Int64(uidValidity), path])
                return nil
            }
            let modSeq: Int64 = row["highest_modseq"]
            let boundary: Int64 = row["recent_boundary"]
            return FolderRow(highestModSeq: UInt64(max(modSeq, 1)), recentBoundary: UInt32(clamping: max(boundary, 1)))
        } ?? nil
    }

    func saveFolder(path: String, uidValidity: UInt32, row: FolderRow) {
        try? queue.write { db in
            try db.execute(sql: """
                INSERT INTO folders VALUES (?, ?, ?, ?)
                ON CONFLICT(folder) DO UPDATE SET uid_validity = excluded.uid_validity,
                    highest_modseq = excluded.highest_modseq, recent_boundary = excluded.recent_boundary
                """, arguments: [path, Int64(uidValidity), Int64(clamping: row.highestModSeq), Int64(row.recentBoundary)])
        }
    }

    func modSeqs(path: String) -> [UInt32: UInt64] {
        (try? queue.read { db in
            var result: [UInt32: UInt64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT uid, modseq FROM messages WHERE folder = ?", arguments: [path])
            while let row = try rows.next() {
                let uid: Int64 = row[0], modSeq: Int64 = row[1]
                result[UInt32(clamping: uid)] = UInt64(max(modSeq, 1))
            }
            return result
        }) ?? [:]
    }

    func saveModSeqs(path: String, _ values: [(uid: UInt32, modSeq: UInt64)]) {
        guard !values.isEmpty else { return }
        try? queue.write { db in
            for value in values {
                try db.execute(sql: """
                    INSERT INTO messages (folder, uid, modseq) VALUES (?, ?, ?)
                    ON CONFLICT(folder, uid) DO UPDATE SET modseq = excluded.modseq
                    """, arguments: [path, Int64(value.uid), Int64(clamping: value.modSeq)])
            }
        }
    }

    /// INTERNALDATEs read before (each file's mtime, one stat each the first time).
    func internalDates(path: String) -> [UInt32: Int] {
        (try? queue.read { db in
            var result: [UInt32: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT uid, internal_date FROM messages WHERE folder = ? AND internal_date IS NOT NULL",
                                           arguments: [path])
            while let row = try rows.next() {
                let uid: Int64 = row[0], date: Int64 = row[1]
                result[UInt32(clamping: uid)] = Int(date)
            }
            return result
        }) ?? [:]
    }

    func saveInternalDates(path: String, _ values: [(uid: UInt32, seconds: Int)]) {
        guard !values.isEmpty else { return }
        try? queue.write { db in
            for value in values {
                try db.execute(sql: """
                    INSERT INTO messages (folder, uid, internal_date) VALUES (?, ?, ?)
                    ON CONFLICT(folder, uid) DO UPDATE SET internal_date = excluded.internal_date
                    """, arguments: [path, Int64(value.uid), Int64(value.seconds)])
            }
        }
    }

    func removeMessages(path: String, uids: [UInt32]) {
        guard !uids.isEmpty else { return }
        try? queue.write { db in
            for uid in uids {
                try db.execute(sql: "DELETE FROM messages WHERE folder = ? AND uid = ?", arguments: [path, Int64(uid)])
            }
        }
    }

    /// ENVELOPE and BODYSTRUCTURE items in wire form (names included), as `encodeFetchItem` made them.
    func structure(path: String, uid: UInt32) -> (envelope: [UInt8]?, bodyStructure: [UInt8]?)? {
        try? queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT envelope, body_structure FROM messages WHERE folder = ? AND uid = ?",
                                             arguments: [path, Int64(uid)]) else { return nil }
            let envelope = (row["envelope"] as Data?).map { [UInt8]($0) }
            let structure = (row["body_structure"] as Data?).map { [UInt8]($0) }
            return (envelope, structure)
        } ?? nil
    }

    /// The cached items of several messages in one read: a FETCH batch asks once, not once per
    /// message (a transaction and a parsed statement each cost more than the row).
    func structures(path: String, uids: [UInt32]) -> [UInt32: (envelope: [UInt8]?, bodyStructure: [UInt8]?)] {
        guard let low = uids.min(), let high = uids.max() else { return [:] }
        let wanted = Set(uids)
        return (try? queue.read { db in
            var result: [UInt32: (envelope: [UInt8]?, bodyStructure: [UInt8]?)] = [:]
            let statement = try db.cachedStatement(sql: """
                SELECT uid, envelope, body_structure FROM messages
                WHERE folder = ? AND uid >= ? AND uid <= ? AND envelope IS NOT NULL
                """)
            let rows = try Row.fetchCursor(statement, arguments: [path, Int64(low), Int64(high)])
            while let row = try rows.next() {
                let uid = UInt32(clamping: row[0] as Int64)
                guard wanted.contains(uid) else { continue }
                result[uid] = ((row[1] as Data?).map { [UInt8]($0) }, (row[2] as Data?).map { [UInt8]($0) })
            }
            return result
        }) ?? [:]
    }

    func saveStructure(path: String, uid: UInt32, envelope: [UInt8], bodyStructure: [UInt8]) {
        saveStructures(path: path, [(uid, envelope, bodyStructure)])
    }

    /// Several messages' items in one transaction.
    /// A nil BODYSTRUCTURE (FETCH ENVELOPE parsed the header only) keeps the one cached.
    func saveStructures(path: String, _ values: [(uid: UInt32, envelope: [UInt8], bodyStructure: [UInt8]?)]) {
        guard !values.isEmpty else { return }
        try? queue.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO messages (folder, uid, envelope, body_structure) VALUES (?, ?, ?, ?)
                ON CONFLICT(folder, uid) DO UPDATE SET envelope = excluded.envelope,
                    body_structure = COALESCE(excluded.body_structure, body_structure)
                """)
            for value in values {
                try statement.execute(arguments: [path, Int64(value.uid), Data(value.envelope), value.bodyStructure.map { Data($0) }])
            }
        }
    }

    /// Drops a deleted or renamed folder's rows.
    func dropFolder(path: String) {
        try? queue.write { db in
            try db.execute(sql: "DELETE FROM messages WHERE folder = ?", arguments: [path])
            try db.execute(sql: "DELETE FROM folders WHERE folder = ?", arguments: [path])
        }
    }
}
