import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One message on its way into the store.
///
/// Content arrives in pieces (`write`), is spooled to a file in the first destination's
/// `tmp/`, and `commit` makes it durable everywhere before its future succeeds:
/// write, fdatasync the file, link (or rename) it into each `new/`, fsync each `new/`.
/// Only then may the SMTP server answer 250. On failure nothing is left in any `new/`, nor in `tmp/`.
///
/// The operations of one message run one at a time, in the order they were called, even when
/// the caller does not wait: a client that disconnects while a write is queued gets a discard
/// behind that write, never before it. Once the message is committed or discarded, whatever
/// comes later fails without touching the disk.
public final class IncomingMessage: Sendable {
    public let name: MaildirName
    private let store: MaildirStore
    private let plan: DeliveryPlan
    /// Touched only by the operation running, one at a time; the lock makes that safe to state.
    private let spool: NIOLockedValueBox<SpoolFile>
    private let operations: SerialOperations

    init(store: MaildirStore, name: MaildirName, traceHeaders: String, plan: DeliveryPlan) {
        self.store = store
        self.name = name
        self.plan = plan
        let spoolDirectory = plan.mailboxes.first.map { store.maildirPath(for: $0) } ?? store.queueRoot
        self.spool = NIOLockedValueBox(SpoolFile(path: "\(spoolDirectory)/tmp/\(name.base)", maildir: spoolDirectory,
                                                 header: traceHeaders))
        self.operations = SerialOperations(threadPool: store.threadPool)
    }

    /// Appends content (LF line ends) to the spool file. After a failure the spool file is
    /// gone and every later write and the commit fail with the same error.
    public func write(_ content: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        operations.submit(on: eventLoop) { [spool] in
            try spool.withLockedValue { file in try file.append(content) }
        }
    }

    /// Writes the rest, makes the message durable in every destination, returns the file name.
    /// On failure the spool file is removed and nothing is delivered.
    ///
    /// `addedHeaderFields` (LF line ends) go into the message below its Return-Path, in every
    /// destination: what is known only at the end (Authentication-Results). `queueHeaderPrefix`
    /// goes only to the queue's row: what the outbound client sends above the file (a DKIM
    /// signature), so the file is never rewritten for it.
    public func commit(_ lastContent: ByteBuffer, addedHeaderFields: String = "", queueHeaderPrefix: [UInt8]? = nil,
                       on eventLoop: any EventLoop) -> EventLoopFuture<String> {
        operations.submit(on: eventLoop) { [spool, store, plan, name] in
            try spool.withLockedValue { file in
                do {
                    try file.insertHeaderFields(addedHeaderFields)
                    try file.append(lastContent)
                    try file.sync()
                    return try Delivery(store: store, plan: plan, name: name, queueHeaderPrefix: queueHeaderPrefix)
                        .deliver(spool: &file)
                } catch {
                    file.fail(error)
                    throw error
                }
            }
        }
    }

    /// Drops the message: closes and removes the spool file, after whatever was issued before.
    /// The future completes when that is done; callers that do not need to know may ignore it.
    @discardableResult
    public func discard(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        operations.submit(on: eventLoop) { [spool] in
            spool.withLockedValue { file in file.remove() }
        }
    }
}

/// A write or commit that came after the message was committed or discarded.
public struct MessageAlreadyFinished: Error, CustomStringConvertible {
    public var description: String { "the message was already committed or discarded" }
}
