import DeliveryReports
import Foundation
import Logging
import MailQueue

/// Tells senders what became of their mail (RFC 3464): failure reports for recipients that
/// failed (a 5xx, expiry, `queue bounce`) and one delay notice per recipient after
/// `delay_warning`. A failure is marked reported only once its report is stored (in a
/// Maildir or in the queue), so a crash in between sends the report at the next start.
struct QueueReporting: Sendable {
    let queue: QueueAccess
    let delivery: any ReportDelivery
    let builder: DeliveryReportBuilder
    let schedule: RetrySchedule
    let logger: Logger

    /// The original as a report may return it: the builder cuts it to its own limit.
    var originalBytesToRead: Int { builder.limits.maximumReturnedMessageBytes + 64 * 1024 }

    func round(now: Date) async {
        await failExpired(now: now)
        await failBounceRequests()
        await reportFailures()
        await sendDelayNotices(now: now)
    }

    /// RFC 5321 §4.5.4.1: give up after the queue lifetime; the last reply says why it waited.
    private func failExpired(now: Date) async {
        guard let expired = try? await queue.run({ try $0.expiredMessages(now: now) }) else { return }
        let days = Int((schedule.maximumLifetime / 86400).rounded())
        for entry in expired {
            let last = entry.recipients.compactMap(\.lastReply).last
            let lifetime = days >= 1 ? "\(days) day\(days == 1 ? "" : "s")" : "\(Int(schedule.maximumLifetime)) seconds"
            let reason = RecordedReply(
                text: "message expired: not delivered within \(lifetime)" + (last.map { "; last reply: \($0)" } ?? ""),
                enhancedCode: "4.4.7")
            await failPending(entry, reason: reason, event: "expired")
        }
    }

    private func failBounceRequests() async {
        guard let requested = try? await queue.run({ try $0.bounceRequestedMessages() }) else { return }
        for entry in requested {
            await failPending(entry, reason: RecordedReply(text: "returned to the sender by the postmaster",
                                                           enhancedCode: "5.0.0"), event: "bounced by the administrator")
        }
    }

    private func failPending(_ entry: QueueEntry, reason: RecordedReply, event: String) async {
        let id = entry.message.id
        do {
            let failed = try await queue.run { try $0.failPending(messageID: id, reason: reason) }
            for recipient in failed {
                logger.warning("bounced", metadata: ["id": "\(id)", "to": "<\(recipient.address)>",
                                                     "dsn": "\(reason.enhancedCode ?? "5.0.0")", "status": "bounced",
                                                     "reply": "\(reason.text)", "reason": "\(event)"])
            }
        } catch {
            logger.error("queue: failing pending recipients failed", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// One report per message for all its unreported failures. Only the scheduler's loop calls
    /// it (see `DeliveryScheduler.record`).
    private func reportFailures() async {
        guard let entries = try? await queue.run({ try $0.unreportedFailures() }) else { return }
        for entry in entries {
            let outcomes = entry.recipients.map { RecipientOutcome($0, action: .failed) }
            let stored = await send(outcomes, about: entry.message, kind: "failure")
            guard stored else { continue }
            let id = entry.message.id
            let positions = entry.recipients.map(\.position)
            do {
                try await queue.run { try $0.markFailureReported(messageID: id, positions: positions) }
                try await queue.removeIfFinished(messageID: id)
            } catch {
                logger.error("queue: marking a failure reported failed", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        }
    }

    private func sendDelayNotices(now: Date) async {
        let warning = schedule.delayWarning
        guard let entries = try? await queue.run({ try $0.messagesNeedingDelayNotice(now: now, warningAfter: warning) })
        else { return }
        for entry in entries {
            let delayed = entry.recipients.filter { $0.status == .pending && !$0.delayNoticeSent && $0.attempts > 0 }
            guard !delayed.isEmpty else { continue }
            let outcomes = delayed.map { RecipientOutcome($0, action: .delayed, willRetryUntil: entry.message.expiry) }
            guard await send(outcomes, about: entry.message, kind: "delay") else { continue }
            let id = entry.message.id
            let positions = delayed.map(\.position)
            try? await queue.run { try $0.markDelayNoticeSent(messageID: id, positions: positions) }
        }
    }

    /// Builds and stores one report. True when it is stored or when none is due (NOTIFY=NEVER,
    /// a null reverse path with nobody else to tell); false to try again at the next round.
    private func send(_ outcomes: [RecipientOutcome], about message: QueuedMessage, kind: String) async -> Bool {
        var envelope = QueuedEnvelope.envelope(of: message)
        var localOnly = false
        if envelope.hasNullReversePath {
            // A report that could not be delivered (RFC 5321 §4.5.5: never answered with another
            // to <>). Failures go to the local postmaster, once, and stop there; delays of a
            // report are nobody's business.
            guard kind == "failure" else { return true }
            envelope.reversePath = delivery.postmasterAddress
            localOnly = true
        }
        let original: [UInt8]
        do {
            original = (message.headerPrefix.map { [UInt8]($0) } ?? [])
                + (try await queue.readMessage(fileName: message.fileName, maximum: originalBytesToRead))
        } catch {
            logger.error("queue: reading a message for its report failed",
                         metadata: ["id": "\(message.id)", "error": "\(error)"])
            return false
        }
        guard let report = builder.report(envelope: envelope, outcomes: outcomes, originalMessage: original) else {
            return true
        }
        do {
            let stored = try await delivery.deliver(report, to: envelope.reversePath, localOnly: localOnly)
            logger.info(stored ? "report sent" : "report dropped", metadata: [
                "id": "\(message.id)", "kind": "\(kind)", "to": "<\(envelope.reversePath)>",
                "report_id": "\(report.messageID)"])
            return true
        } catch {
            logger.error("queue: storing a report failed", metadata: ["id": "\(message.id)", "error": "\(error)"])
            return false
        }
    }
}
