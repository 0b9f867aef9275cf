import DeliveryReports
import Foundation
import Logging
import MailQueue
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Drains the outbound queue: a Service in the server's ServiceGroup.
///
/// Every round (each second, or at once when woken): expired and administrator-bounced
/// messages fail; failures and delays are reported to their senders; due recipients are
/// claimed (the store records the attempt before anyone dials) and handed to workers, at most
/// `concurrency` in all and `concurrencyPerDomain` per destination, each keeping its
/// connection for the next batch to the same host. The one-second poll also picks up what
/// `tsubame queue flush|release|bounce` changed from another process.
public actor DeliveryScheduler: Service {
    let queue: QueueAccess
    let delivery: BatchDelivery
    let reports: QueueReporting
    let schedule: RetrySchedule
    let settings: OutboundSettings
    let logger: Logger
    let pollInterval: Duration
    private let wakeSignal = WakeSignal()
    private var lanes: DomainLanes<ClaimedBatch>
    private var stopping = false

    public init(store: any QueueStore & QueueReports, folder: QueueFolder, threads: NIOThreadPool,
                routes: RouteSelector, settings: OutboundSettings, tls: OutboundTLS, group: any EventLoopGroup,
                reportDelivery: any ReportDelivery, reportBuilder: DeliveryReportBuilder, schedule: RetrySchedule,
                logger: Logger, pollInterval: Duration = .seconds(1)) {
        let access = QueueAccess(store: store, folder: folder, threads: threads)
        self.queue = access
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
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !stopping, !Task.isCancelled {
                    if settings.suspended {
                        await wakeSignal.wait(upTo: pollInterval)
                        continue
                    }
                    await reports.round(now: Date())
                    await claimDueWork()
                    while let domain = lanes.startWorker() {
                        group.addTask { await self.runWorker(domain: domain) }
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
    }

    private func stop() {
        stopping = true
        wakeSignal.signal()
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
        } catch {
            logger.error("queue: claiming due messages failed", metadata: ["error": "\(error)"])
        }
    }

    private func nextBatch(for domain: String) -> ClaimedBatch? {
        if stopping {
            // Leave the rest claimed; see run().
            return lanes.nextBatchAfterStop(for: domain)
        }
        return lanes.nextBatch(for: domain)
    }

    private func runWorker(domain: String) async {
        var connection: SMTPClientConnection?
        while let batch = nextBatch(for: domain) {
            let (outcome, kept) = await delivery.attempt(batch, reusing: connection)
            connection = kept
            await record(outcome, of: batch)
            // Claim more before this lane runs dry, so the worker keeps its connection
            // instead of closing it and a new worker dialling again.
            if lanes.backlog < settings.concurrency { wakeSignal.signal() }
        }
        await connection?.close()
        // Room for another worker: the loop may start one at once.
        wakeSignal.signal()
    }

    /// Each result is committed as soon as the transaction gives it (a crash then re-sends
    /// only recipients still in flight); then failures are reported and a finished message goes.
    private func record(_ outcome: BatchDelivery.Outcome, of batch: ClaimedBatch) async {
        let log = DeliveryAttemptLog(logger: logger)
        let messageID = batch.message.id
        for (recipient, result) in outcome.results {
            let now = Date()
            do {
                try await queue.run { try $0.record(result, messageID: messageID, position: recipient.position, at: now) }
            } catch QueueError.notInFlight {
                // Deleted by `tsubame queue delete` while it was being sent.
                continue
            } catch {
                logger.error("queue: recording a delivery result failed",
                             metadata: ["id": "\(messageID)", "error": "\(error)"])
                continue
            }
            log.record(messageID: messageID, recipient: recipient.address, outcome: result, relay: outcome.relay,
                       tls: outcome.tlsVersion, arrival: batch.message.arrival, now: now)
        }
        if outcome.results.contains(where: { if case .failed = $0.outcome { true } else { false } }) {
            // The loop reports failures, and only the loop: two sweeps at once would both see
            // the failure unreported and send two bounces.
            wakeSignal.signal()
        }
        do {
            try await queue.removeIfFinished(messageID: messageID)
        } catch {
            logger.error("queue: removing a delivered message failed",
                         metadata: ["id": "\(messageID)", "error": "\(error)"])
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
