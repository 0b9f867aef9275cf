import AccountDirectory
import Foundation
import GRDB

/// A directory file in a temporary folder of its own, removed when the folder goes away.
final class TemporaryDirectoryFile {
    let folder: URL
    let path: String

    init(_ label: String = "DirectoryTests") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent("directory.sqlite").path
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func open() throws -> SQLiteAccountDirectory {
        try SQLiteAccountDirectory(path: path)
    }

    /// The raw database, to look at (or damage) what the directory stored.
    func database() throws -> DatabaseQueue {
        try DatabaseQueue(path: path)
    }

    /// The `scram_sha256` column of a user: nil for NULL (or no such user).
    func storedSCRAMKeys(_ localPart: String, _ domain: String) throws -> String? {
        try database().read { db in
            try String.fetchOne(db, sql: "SELECT scram_sha256 FROM users WHERE local_part = ? AND domain = ?",
                                arguments: [localPart, domain])
        }
    }

    /// Forgets a user's SCRAM keys, as for a password set before they were stored.
    func clearSCRAMKeys() throws {
        try database().write { db in try db.execute(sql: "UPDATE users SET scram_sha256 = NULL") }
    }
}
