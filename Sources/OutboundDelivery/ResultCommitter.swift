import Foundation
import MailQueue

/// Group commit for delivery results: every worker's results are committed as soon as the
/// store's writer is free, together with whatever other workers finished while the previous
/// commit was syncing. One fsync then covers several messages instead of one each (with
/// `synchronous = FULL`, the sync is most of a commit's cost), and no result ever waits for a
/// timer: a lone result is committed at once.
actor ResultCommitter {
    private struct Waiting {
        var transaction: TransactionResults
        var continuation: CheckedContinuation<Result<TransactionRecord, any Error>, Never>
    }

    private let queue: QueueAccess
    private var waiting: [Waiting] = []
    private var committing = false

    init(queue: QueueAccess) { self.queue = queue }

    func commit(_ transaction: TransactionResults) async throws -> TransactionRecord {
        let result = await withCheckedContinuation { continuation in
            waiting.append(Waiting(transaction: transaction, continuation: continuation))
            if !committing {
                committing = true
                Task { await self.commitWaiting() }
            }
        }
        return try result.get()
    }

    private func commitWaiting() async {
        while !waiting.isEmpty {
            let group = waiting
            waiting = []
            do {
                let records = try await queue.record(group.map(\.transaction), at: Date())
                for (item, record) in zip(group, records) { item.continuation.resume(returning: .success(record)) }
            } catch {
                for item in group { item.continuation.resume(returning: .failure(error)) }
            }
        }
        committing = false
    }
}
