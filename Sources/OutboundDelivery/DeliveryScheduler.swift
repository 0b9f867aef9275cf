import DeliveryReports
import Foundation
import Logging
import MailQueue
import NIOCore
import NIOPosix
import ProtocolSupport
import ServiceLifecycle

/// Drains the outbound queue: a Service in the server's ServiceGroup.
///
/// Every round (each second, or at once when woken): expired and administrator-bounced
/// messages fail; failures and delays are reported to their senders; due recipients are
/// claimed (the store records the attempt before anyone dials) and handed to workers, at most
/// `concurrency` in all and `concurrencyPerDomain` per destination, each keeping its
/// connection for the next batch to the same host. What `tsubame queue flush|release|bounce`
/// changed from another process is looked at when the command writes to the wake FIFO
/// (`QueueWakeFIFO`), or at the next one-second poll if no byte came.
public actor DeliveryScheduler: Service {
    let queue: QueueAccess
    let committer: ResultCommitter
    let delivery: BatchDelivery
    let reports: QueueReporting
    let schedule: RetrySchedule
    let settings: OutboundSettings
    let logger: Logger
    let pollInterval: Duration
    private let wakeSignal = WakeSignal()
    private var lanes: DomainLanes<ClaimedBatch>
    private var stopping = false
    private var lastReportRound = ContinuousClock.now - .seconds(3600)
    /// A worker recorded a failure since the last sweep.
    private var failuresToReport = false
    /// Workers whose lane ran dry, waiting for the loop's next claim (see `waitForWork`).
    private var idleWorkers: [Int: (domain: String, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextIdleWorker = 0

    public init(store: any QueueStore & QueueReports, folder: QueueFolder, threads: NIOThreadPool,
                routes: RouteSelector, settings: OutboundSettings, tls: OutboundTLS, group: any EventLoopGroup,
                reportDelivery: any ReportDelivery, reportBuilder: DeliveryReportBuilder, schedule: RetrySchedule,
                logger: Logger, pollInterval: Duration = .seconds(1)) {
        let access = QueueAccess(store: store, folder: folder, threads: threads)
        self.queue = access
        self.committer = ResultCommitter(queue: access)
        self.delivery = BatchDelivery(routes: routes, settings: settings, tls: tls, group: group, folder: folder,
                                      logger: logger)
        self.reports = QueueReporting(queue: access, delivery: reportDelivery, builder: reportBuilder,
                                      schedule: schedule, logger: logger)
        self.schedule = schedule
        self.settings = settings
        self.logger = logger
        self.pollInterval = pollInterval
        self.lanes = DomainLanes(globalLimit: settings.concurrency, perDomainLimit: settings.concurrencyPerDomain)
    }

    /// A message was just queued (or anything else changed): look now, not at the next poll.
    public nonisolated func wake() { wakeSignal.signal() }

    public func run() async throws {
        if settings.suspended {
            logger.notice("delivery is suspended ([delivery] suspended): queued messages wait")
        }
        await removeFinishedMessages()
        let wakeChannel = await QueueWakeListener.start(QueueWakeFIFO(folder: queue.folder),
                                                        on: delivery.group.next(), logger: logger) { [weak self] in
            self?.wake()
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !stopping, !Task.isCancelled {
                    if settings.suspended {
                        await wakeSignal.wait(upTo: pollInterval)
                        continue
                    }
                    // The sweeps for expiry, bounces and delays run once a second however
                    // often queued mail wakes the loop; failures just recorded go at once.
                    if ContinuousClock.now - lastReportRound >= pollInterval {
                        lastReportRound = ContinuousClock.now
                        failuresToReport = false
                        await reports.round(now: Date())
                    } else if failuresToReport {
                        failuresToReport = false
                        await reports.reportFailures()
                    }
                    await claimDueWork()
                    while let domain = lanes.startWorker() {
                        // The worker runs on the event loop its connections use (see
                        // EventLoopTaskExecutor), its commits too.
                        let executor = EventLoopTaskExecutor(delivery.group.next())
                        group.addTask(executorPreference: executor) {
                            await self.runWorker(domain: domain, executor: executor)
                        }
                    }
                    await wakeSignal.wait(upTo: pollInterval)
                }
                // Batches claimed but not started stay in flight in the store: the next start
                // makes them pending again at the time their claim set.
                let left = lanes.drain()
                if !left.isEmpty {
                    logger.info("queue: stopping; claimed batches wait for the next start",
                                metadata: ["count": "\(left.count)"])
                }
            }
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
        try? await wakeChannel?.close()
    }

    private func stop() {
        stopping = true
        wakeSignal.signal()
        for id in Array(idleWorkers.keys) { resumeIdleWorker(id) }
    }

    /// Claims no more than the workers can start soon: the claim records an attempt, and a
    /// batch left waiting in memory for long would make that record a lie.
    private func claimDueWork() async {
        let room = settings.concurrency * 2 - lanes.backlog - lanes.activeWorkers
        guard room > 0 else { return }
        let perBatch = settings.recipientsPerTransaction
        do {
            let batches = try await queue.run { try $0.claimDue(now: Date(), maximumBatches: room,
                                                                recipientsPerBatch: perBatch) }
            for batch in batches { lanes.add(batch, domain: batch.destinationDomain) }
            let domains = Set(batches.map(\.destinationDomain))
            for (id, worker) in idleWorkers where domains.contains(worker.domain) { resumeIdleWorker(id) }
        } catch {
            logger.error("queue: claiming due messages failed", metadata: ["error": "\(error)"])
        }
    }

    /// The worker's next batch. When its lane is empty, the worker asks the loop to claim more
    /// and waits a little with its connection open (Postfix's smtp_connection_cache_time_limit
    /// plays this role): a queue drained claim by claim keeps its connections instead of
    /// dialling again for every claim. nil ends the worker.
    private func nextBatch(for domain: String) async -> ClaimedBatch? {
        let deadline = ContinuousClock.now + Self.idleLinger
        var asked = false
        while !stopping {
            if let batch = lanes.take(for: domain) { return batch }
            let now = ContinuousClock.now
            guard now < deadline else { break }
            if !asked {
                wakeSignal.signal()
                asked = true
            }
            // Woken by the claim that brings work for this domain, not by polling: a worker
            // that slept 20 ms per look left the connections idle between claims (a flush
            // of 5,000 messages over 20 connections ran at ~50 messages/s per connection).
            await waitForWork(domain: domain, upTo: deadline - now)
            asked = false  // woken with nothing left for us: the next look asks again
        }
        if stopping {
            // Leave the rest claimed; see run().
            return lanes.nextBatchAfterStop(for: domain)
        }
        return lanes.nextBatch(for: domain)
    }

    /// How long an idle worker keeps its connection for more work to the same domain.
    static let idleLinger = Duration.seconds(2)

    /// Transactions of one worker whose results may wait for their commit at once. 4 held a
    /// drain of 5,000 messages at concurrency 4 to ~2,230 msg/s, 16 let it reach ~2,550, 64
    /// ~2,600 (bench/relay, 2026-12-02): beyond 16 the commits no longer set the pace, and each
    /// one more is one more message a crash may send twice.
    static let outstandingCommitsPerWorker = 16

    /// Suspends a worker until a claim adds batches for `domain`, the server stops, or
    /// `timeout` passes; whichever comes first resumes it, once (the entry is removed then).
    private func waitForWork(domain: String, upTo timeout: Duration) async {
        let id = nextIdleWorker
        nextIdleWorker += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.resumeIdleWorker(id)
        }
        await withCheckedContinuation { continuation in
            idleWorkers[id] = (domain, continuation)
        }
        timer.cancel()
    }

    private func resumeIdleWorker(_ id: Int) {
        idleWorkers.removeValue(forKey: id)?.continuation.resume()
    }

    private func runWorker(domain: String, executor: EventLoopTaskExecutor) async {
        var connection: SMTPClientConnection?
        // The last transactions' results, being committed while the next transactions run:
        // the commit's sync overlaps the network instead of adding to it. A few may be
        // outstanding per worker (with one, each worker waited for a commit per message and
        // a drain ran at the commit's pace); each is awaited, so none outlives the worker. A
        // crash re-sends what was not committed yet, as it re-sends anything in flight.
        var recordings: [Task<Void, Never>] = []
        while let batch = await nextBatch(for: domain) {
            let (outcome, kept) = await delivery.attempt(batch, reusing: connection, on: executor.eventLoop)
            connection = kept
            if recordings.count >= Self.outstandingCommitsPerWorker { await recordings.removeFirst().value }
            recordings.append(Task(executorPreference: executor) { await self.record(outcome, of: batch) })
            // Claim more before this lane runs dry, so the worker keeps its connection
            // instead of closing it and a new worker dialling again.
            if lanes.backlog < settings.concurrency { wakeSignal.signal() }
        }
        for recording in recordings { await recording.value }
        await connection?.close()
        // Room for another worker: the loop may start one at once.
        wakeSignal.signal()
    }

    /// The transaction's results are committed together as soon as it gives them (a crash
    /// then re-sends only recipients still in flight), with the message's removal when it is
    /// finished; failures are then reported by the loop.
    private func record(_ outcome: BatchDelivery.Outcome, of batch: ClaimedBatch) async {
        let log = DeliveryAttemptLog(logger: logger)
        let messageID = batch.message.id
        let now = Date()
        let results = outcome.results.map { (position: $0.recipient.position, outcome: $0.outcome) }
        let skipped: Set<Int>
        do {
            skipped = Set(try await committer.commit(TransactionResults(messageID: messageID, results: results))
                .notInFlight)
        } catch {
            logger.error("queue: recording delivery results failed", metadata: ["id": "\(messageID)", "error": "\(error)"])
            return
        }
        // Positions no longer in flight were deleted by `tsubame queue delete` meanwhile.
        for (recipient, result) in outcome.results where !skipped.contains(recipient.position) {
            log.record(messageID: messageID, recipient: recipient.address, outcome: result, relay: outcome.relay,
                       tls: outcome.tlsVersion, arrival: batch.message.arrival, now: now)
        }
        if outcome.results.contains(where: { if case .failed = $0.outcome { true } else { false } }) {
            // The loop reports failures, and only the loop: two sweeps at once would both see
            // the failure unreported and send two bounces.
            failuresToReport = true
            wakeSignal.signal()
        }
    }

    /// At start: a message whose recipients were all settled when the last process stopped
    /// (between the last result and the removal) goes now.
    private func removeFinishedMessages() async {
        guard let entries = try? await queue.run({ try $0.listEntries() }) else { return }
        for entry in entries where !entry.recipients.contains(where: { $0.status == .pending || $0.status == .inFlight }) {
            try? await queue.removeIfFinished(messageID: entry.message.id)
        }
    }
}

extension DomainLanes {
    /// While stopping: no new batch starts; the worker ends.
    mutating func nextBatchAfterStop(for domain: String) -> Batch? {
        // Ends the worker's count without taking its domain's waiting batches.
        endWorker(for: domain)
        return nil
    }
}
