/// Claimed batches waiting for a connection, by destination domain, and how many workers
/// (each one connection, reused for consecutive batches) run for each domain.
///
/// `[queue] concurrency` bounds workers over all domains, `concurrency_per_domain` per domain
/// (Postfix's default_destination_concurrency_limit plays the second role): one slow or
/// throttling destination cannot take every connection.
struct DomainLanes<Batch> {
    let globalLimit: Int
    let perDomainLimit: Int
    private var waiting: [String: [Batch]] = [:]
    private var workers: [String: Int] = [:]
    private(set) var activeWorkers = 0
    private(set) var backlog = 0

    init(globalLimit: Int, perDomainLimit: Int) {
        self.globalLimit = max(1, globalLimit)
        self.perDomainLimit = max(1, perDomainLimit)
    }

    mutating func add(_ batch: Batch, domain: String) {
        waiting[domain, default: []].append(batch)
        backlog += 1
    }

    /// A domain that has waiting batches and room for one more worker, counted as started;
    /// nil when no worker may start now.
    mutating func startWorker() -> String? {
        guard activeWorkers < globalLimit else { return nil }
        // The domain with the most waiting work that still has room: a big queue for one
        // destination does not starve a small one, as each gets its own lanes.
        let candidate = waiting.filter { !$0.value.isEmpty && workers[$0.key, default: 0] < perDomainLimit }
            .max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }?.key
        guard let domain = candidate else { return nil }
        workers[domain, default: 0] += 1
        activeWorkers += 1
        return domain
    }

    /// The next batch for a worker of `domain`; nil ends that worker (and counts it out), so
    /// that "no more work" and "worker gone" are one step.
    mutating func nextBatch(for domain: String) -> Batch? {
        if let batch = take(for: domain) { return batch }
        endWorker(for: domain)
        return nil
    }

    /// The next batch for a worker of `domain`, leaving the worker counted when there is none
    /// (it may wait for the next claim with its connection open).
    mutating func take(for domain: String) -> Batch? {
        guard var queue = waiting[domain], !queue.isEmpty else { return nil }
        let batch = queue.removeFirst()
        waiting[domain] = queue.isEmpty ? nil : queue
        backlog -= 1
        return batch
    }

    mutating func endWorker(for domain: String) {
        let remaining = workers[domain, default: 1] - 1
        workers[domain] = remaining > 0 ? remaining : nil
        activeWorkers -= 1
    }

    /// Everything not started, for a shutdown: those recipients stay in flight in the store and
    /// are pending again at the next start (`recoverInterrupted`).
    mutating func drain() -> [Batch] {
        let all = waiting.values.flatMap { $0 }
        waiting = [:]
        backlog = 0
        return all
    }
}
