import Foundation
@testable import MailQueue

/// A fresh data folder per test, with a store whose jitter is fixed.
struct QueueFixture {
    let root: String
    let store: SQLiteQueueStore
    var folder: QueueFolder { QueueFolder(dataDirectory: root) }
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init(jitter: Double = 0, schedule: RetrySchedule = RetrySchedule()) throws {
        root = NSTemporaryDirectory() + "tsubame-queue-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        store = try SQLiteQueueStore(path: QueueFolder.databasePath(dataDirectory: root), schedule: schedule,
                                     jitter: .fixed(jitter))
    }

    /// Opens the same database again, as a restarted server (or the CLI) would.
    func reopened() throws -> SQLiteQueueStore {
        try SQLiteQueueStore(path: QueueFolder.databasePath(dataDirectory: root), jitter: .fixed(0))
    }

    static func message(_ id: String, to addresses: [String], at arrival: Date = t0) -> NewQueuedMessage {
        NewQueuedMessage(id: id, fileName: "\(id),S=10,W=11", reversePath: "alice@example.org",
                         recipients: addresses.map { NewQueuedRecipient(address: $0) }, size: 10, arrival: arrival)
    }
}
