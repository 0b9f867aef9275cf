#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MailQueue
import NIOPosix

/// The store's calls are blocking (SQLite, fsync): they run on a thread pool, never on the
/// scheduler's executor or an event loop.
struct QueueAccess: Sendable {
    let store: any QueueStore & QueueReports
    let folder: QueueFolder
    let threads: NIOThreadPool

    func run<Value: Sendable>(_ body: @escaping @Sendable (any QueueStore & QueueReports) throws -> Value) async throws -> Value {
        let store = store
        return try await threads.runIfActive { try body(store) }
    }

    /// Reads at most `maximum` bytes of a queued message file (for the copy a report returns).
    func readMessage(fileName: String, maximum: Int) async throws -> [UInt8] {
        let path = folder.messagePath(fileName)
        return try await threads.runIfActive { try MessageFilePrefix.load(path: path, maximum: maximum) }
    }

    /// Deletes a message whose recipients are all settled and reported: rows, then the file.
    func removeIfFinished(messageID: String) async throws {
        let folder = folder
        try await threads.runIfActive { [store] in
            if let fileName = try store.removeIfFinished(messageID: messageID) {
                try folder.removeMessageFile(fileName, syncing: false)
            }
        }
    }

    /// Transactions' results in one commit; the files of finished messages go after it.
    func record(_ transactions: [TransactionResults], at time: Date) async throws -> [TransactionRecord] {
        let folder = folder
        return try await threads.runIfActive { [store] in
            let records = try store.recordTransactions(transactions, at: time)
            for fileName in records.compactMap(\.finishedFileName) {
                try? folder.removeMessageFile(fileName, syncing: false)  // an orphan is swept at start
            }
            return records
        }
    }
}

enum MessageFilePrefix {
    static func load(path: String, maximum: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MessageFileError(operation: "open", path: path, code: errno) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: maximum)
        var filled = 0
        while filled < maximum {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, maximum - filled) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw MessageFileError(operation: "read", path: path, code: errno) }
            if count == 0 { break }
            filled += count
        }
        return Array(bytes[..<filled])
    }
}

struct MessageFileError: Error, CustomStringConvertible {
    var operation: String
    var path: String
    var code: Int32
    var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}
