import Foundation

/// What the SMTP server's storage threads need of the queue: nothing but adding to it.
public protocol QueueIntake: Sendable {
    /// Inserts the message and its recipients in one committed transaction. The message file
    /// must already be durable in `DATA/queue/messages/` (written, fsync'd, linked, directory
    /// fsync'd): once this returns, the server may answer 250. First attempt: at once.
    func enqueue(_ message: NewQueuedMessage) throws
}

/// The queue's metadata: one row per message, one per recipient. Blocking: call from storage
/// threads, the scheduler's threads or the command line, never from an event loop.
///
/// A PostgreSQL implementation can follow: `claimDue` is written as "select due rows, mark
/// them in flight, in one transaction", which there becomes `SELECT … FOR UPDATE SKIP LOCKED`
/// so that several delivery processes never claim the same recipient.
public protocol QueueStore: QueueIntake {
    /// Up to `maximumBatches` groups of due recipients (pending, next attempt ≤ now, message not
    /// held), each of one message and one destination domain, at most `recipientsPerBatch`
    /// recipients. Each claimed recipient is marked in flight and its attempt recorded (attempts
    /// + 1, next attempt at the backoff) before this returns, so before anyone dials: a crash
    /// during the attempt does not make it due again at once.
    func claimDue(now: Date, maximumBatches: Int, recipientsPerBatch: Int) throws -> [ClaimedBatch]

    /// Commits one recipient's result as soon as its reply arrived, which shrinks the window in
    /// which a crash makes it be sent twice. Deferred recipients are due again at the backoff.
    func record(_ outcome: AttemptOutcome, messageID: String, position: Int, at time: Date) throws

    /// Commits the results of one SMTP transaction (they arrive together, after the final dot)
    /// and, when nothing of the message is left to send or report, deletes its rows in the same
    /// commit: one sync for the lot. Recipients no longer in flight are skipped and listed.
    func recordTransaction(_ results: [(position: Int, outcome: AttemptOutcome)], messageID: String,
                           at time: Date) throws -> TransactionRecord
    /// Several transactions' results in one commit (group commit: what finished while the last
    /// commit was syncing), one record each, in order.
    func recordTransactions(_ transactions: [TransactionResults], at time: Date) throws -> [TransactionRecord]

    /// At start: whatever was in flight when the last process stopped goes back to pending,
    /// keeping the next-attempt time its claim set. Returns how many recipients.
    func recoverInterrupted() throws -> Int

    /// Deletes the rows of a message none of whose recipients is pending, in flight, or failed
    /// without its report (`QueueReports.markFailureReported`); returns
    /// its file name, for the caller to unlink after (rows first: a crash between leaves an
    /// orphan file, never a row without a file). nil when something is still to be sent.
    func removeIfFinished(messageID: String) throws -> String?

    /// Messages past their expiry with recipients still pending (not in flight), for bounces.
    func expiredMessages(now: Date) throws -> [QueueEntry]
    /// Messages older than `warningAfter` with pending recipients not yet told of the delay.
    func messagesNeedingDelayNotice(now: Date, warningAfter: TimeInterval) throws -> [QueueEntry]
    func markDelayNoticeSent(messageID: String, positions: [Int]) throws
    /// Gives up on pending recipients (expiry, `queue bounce`): failed, with `reason`'s code.
    /// With `keepingLastReply`, a recipient that has a last reply keeps it (the failure report's
    /// Diagnostic-Code is then the peer's last word, as Postfix's expiry bounces give it) and
    /// only those without one get `reason`'s text.
    func failPending(messageID: String, reason: RecordedReply, keepingLastReply: Bool) throws -> [QueuedRecipient]

    // Administration.
    func listEntries() throws -> [QueueEntry]
    func entry(id: String) throws -> QueueEntry?
    func setHeld(_ held: Bool, messageID: String) throws
    /// Removes the rows whatever their state; returns the file name for the caller to unlink.
    func delete(messageID: String) throws -> String
}

/// What the administrator's commands and the scheduler's reports need beyond delivery.
public protocol QueueReports: Sendable {
    /// `queue flush [ID]`: pending recipients of that message (all messages when nil) are due
    /// `now`. Returns how many recipients.
    func flush(messageID: String?, now: Date) throws -> Int
    /// `queue bounce ID`: marks the message; the scheduler fails its pending recipients with
    /// "bounced by the administrator" at its next look and reports them to the sender.
    func requestBounce(messageID: String) throws
    /// Messages marked by `requestBounce` that still have pending recipients.
    func bounceRequestedMessages() throws -> [QueueEntry]
    /// Messages with failed recipients whose report (DSN) is not yet safely queued or
    /// delivered; each entry lists only those recipients. `removeIfFinished` keeps a message
    /// until its failures are reported, so a crash between a 5xx and its bounce loses nothing.
    func unreportedFailures() throws -> [QueueEntry]
    func markFailureReported(messageID: String, positions: [Int]) throws
}

extension QueueStore {
    public func failPending(messageID: String, reason: RecordedReply) throws -> [QueuedRecipient] {
        try failPending(messageID: messageID, reason: reason, keepingLastReply: false)
    }
}
