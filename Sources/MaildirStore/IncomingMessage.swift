#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One message on its way into the store.
///
/// Content arrives in pieces (`write`), is spooled to a file in the first destination's
/// `tmp/`, and `commit` makes it durable everywhere before its future succeeds:
/// write, fdatasync the file, link (or rename) it into each `new/`, fsync each `new/`.
/// Only then may the SMTP server answer 250. On failure nothing is left in any `new/`.
///
/// The handler issues one operation at a time and waits for its future, so the spool
/// state is never touched concurrently; the lock makes that safe to state.
public final class IncomingMessage: Sendable {
    public let name: MaildirName
    private let store: MaildirStore
    private let plan: DeliveryPlan
    private let spool: NIOLockedValueBox<SpoolFile>

    init(store: MaildirStore, name: MaildirName, traceHeaders: String, plan: DeliveryPlan) {
        self.store = store
        self.name = name
        self.plan = plan
        let spoolDirectory = plan.mailboxes.first.map { store.maildirPath(for: $0) } ?? store.queueRoot
        var file = SpoolFile(path: "\(spoolDirectory)/tmp/\(name.base)", maildir: spoolDirectory)
        file.pendingHeader = traceHeaders
        self.spool = NIOLockedValueBox(file)
    }

    /// Appends content (LF line ends) to the spool file.
    public func write(_ content: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        store.threadPool.runIfActive(eventLoop: eventLoop) { [spool] in
            try spool.withLockedValue { file in try file.append(content) }
        }
    }

    /// Writes the rest, makes the message durable in every destination, returns the file name.
    public func commit(_ lastContent: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<String> {
        store.threadPool.runIfActive(eventLoop: eventLoop) { [spool, store, plan, name] in
            try spool.withLockedValue { file in
                try file.append(lastContent)
                try file.sync()
                return try Delivery(store: store, plan: plan, name: name).deliver(spool: &file)
            }
        }
    }

    /// Drops the message: closes and removes the spool file.
    public func discard(on eventLoop: any EventLoop) {
        _ = store.threadPool.runIfActive(eventLoop: eventLoop) { [spool] in
            spool.withLockedValue { file in file.remove() }
        }
    }
}

/// The temporary file that holds a message while it arrives.
struct SpoolFile {
    let path: String
    let maildir: String
    var pendingHeader: String?
    var descriptor: Int32 = -1
    var size = 0
    var lineFeeds = 0

    init(path: String, maildir: String) {
        self.path = path
        self.maildir = maildir
    }

    /// Size with CRLF line ends, what POP3 and IMAP report (Dovecot's W=).
    var virtualSize: Int { size + lineFeeds }

    mutating func append(_ content: ByteBuffer) throws {
        if descriptor < 0 {
            if !POSIX.fileExists("\(maildir)/new") { try MaildirStore.createMaildir(at: maildir) }
            descriptor = try POSIX.openNewFile(path)
        }
        if let header = pendingHeader {
            pendingHeader = nil
            var bytes = Array(header.utf8)
            try bytes.withUnsafeMutableBytes { try writeCounting(UnsafeRawBufferPointer($0)) }
        }
        try content.withUnsafeReadableBytes { try writeCounting($0) }
    }

    private mutating func writeCounting(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        try POSIX.writeAll(descriptor, bytes, path: path)
        size += bytes.count
        var count = 0
        for byte in bytes where byte == UInt8(ascii: "\n") { count += 1 }
        lineFeeds += count
    }

    mutating func sync() throws {
        try POSIX.syncFile(descriptor, path: path)
        close(descriptor)
        descriptor = -1
    }

    mutating func remove() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }
}
