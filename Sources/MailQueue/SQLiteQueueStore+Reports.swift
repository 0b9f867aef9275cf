import Foundation
import GRDB

extension SQLiteQueueStore: QueueReports {
    public func flush(messageID: String?, now: Date) throws -> Int { fatalError("built by the plumbing helper") }
    public func requestBounce(messageID: String) throws { fatalError("built by the plumbing helper") }
    public func bounceRequestedMessages() throws -> [QueueEntry] { fatalError("built by the plumbing helper") }
    public func unreportedFailures() throws -> [QueueEntry] { fatalError("built by the plumbing helper") }
    public func markFailureReported(messageID: String, positions: [Int]) throws {
        fatalError("built by the plumbing helper")
    }
}
