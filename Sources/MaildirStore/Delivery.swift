#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MailQueue

/// Moves a synced spool file into every destination, all or nothing.
struct Delivery {
    let store: MaildirStore
    let plan: DeliveryPlan
    let name: MaildirName
    /// Sent above the file by the outbound client (a DKIM signature); kept in the queue's row.
    var queueHeaderPrefix: [UInt8]? = nil

    /// Returns the file name used in new/. Runs on a storage thread.
    func deliver(spool: inout SpoolFile) throws -> String {
        let fileName = name.fileName(size: spool.size, virtualSize: spool.virtualSize)
        var created: [String] = []
        var deliveredMaildirs: [String] = []
        var directoriesToSync: [String] = []
        // One destination (the usual case): the spool file is renamed into it, as Maildir
        // delivery does, instead of linked and then unlinked. The spool is in that Maildir's
        // (or the queue's) own tmp/, so the rename stays on one file system.
        let onlyDestination = plan.mailboxes.count + (plan.remoteRecipients.isEmpty ? 0 : 1) == 1
        var spoolMoved = false
        do {
            for mailbox in plan.mailboxes {
                let maildir = store.maildirPath(for: mailbox)
                let target = "\(maildir)/new/\(fileName)"
                do {
                    spoolMoved = try placeFile(from: spool.path, to: target, maildir: maildir, moving: onlyDestination)
                } catch let error as StorageError where error.code == ENOENT {
                    // No new/ yet (a recipient after the first, whose Maildir the spool did not
                    // create): made when the link says so, so other deliveries cost no stat.
                    try MaildirStore.createMaildir(at: maildir)
                    spoolMoved = try placeFile(from: spool.path, to: target, maildir: maildir, moving: onlyDestination)
                }
                created.append(target)
                deliveredMaildirs.append(maildir)
                directoriesToSync.append("\(maildir)/new")
            }
            if !plan.remoteRecipients.isEmpty {
                guard store.queue != nil else { throw NoOutboundQueue() }
                try store.queueFolder.createMessagesFolder()
                try POSIX.makeDirectories("\(store.queueRoot)/tmp")  // placeFile's copy fallback
                let target = store.queueFolder.messagePath(fileName)
                spoolMoved = try placeFile(from: spool.path, to: target, maildir: store.queueRoot, moving: onlyDestination)
                created.append(target)
                directoriesToSync.append(store.queueFolder.messagesPath)
            }
            for directory in Set(directoriesToSync) { try POSIX.syncDirectory(directory) }
            // The rows last, once the file is durable: a committed row always has its file.
            // Should the commit fail, the files go and the client is told to retry (451).
            if let queue = store.queue, !plan.remoteRecipients.isEmpty {
                try queue.enqueue(queuedMessage(fileName: fileName, size: spool.size))
            }
        } catch {
            // All or nothing: a message the client will retry must not also be delivered.
            for path in created { unlink(path) }
            for directory in Set(directoriesToSync) { try? POSIX.syncDirectory(directory) }
            spool.remove()
            throw error
        }
        if spoolMoved {
            spool.moved()
        } else {
            spool.remove()  // the links in new/ hold the data now
        }
        // Durable and committed (the queue rows too): the IMAP side may now give UIDs (before
        // the 250 when a session has the folder selected, so IDLE sees the message at once).
        if let observer = store.deliveryObserver {
            for maildir in deliveredMaildirs { observer(maildir, fileName) }
        }
        return fileName
    }

    /// A hard link keeps one copy for all recipients (`moving`: the only one, renamed); a copy
    /// when linking is impossible (another file system, link count limit). True when the
    /// source was renamed: it is no longer in tmp/.
    private func placeFile(from source: String, to target: String, maildir: String, moving: Bool) throws -> Bool {
        if moving ? rename(source, target) == 0 : link(source, target) == 0 { return moving }
        let linkError = errno
        guard linkError == EXDEV || linkError == EMLINK || linkError == EPERM else {
            throw StorageError(operation: moving ? "rename" : "link", path: target, code: linkError)
        }
        let temporary = "\(maildir)/tmp/\(name.base).copy"
        try copyFile(from: source, to: temporary)
        try POSIX.check(rename(temporary, target), "rename", target)
        return false
    }

    private func copyFile(from source: String, to target: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        try POSIX.check(input, "open", source)
        defer { close(input) }
        let output = try POSIX.openNewFile(target)
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            try POSIX.check(Int32(clamping: count), "read", source)
            if count == 0 { break }
            try buffer.withUnsafeBytes { try POSIX.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<count]), path: target) }
        }
        try POSIX.syncFile(output, path: target)
    }

    /// The queue's rows for the remote recipients. The log id names the message in the queue too.
    private func queuedMessage(fileName: String, size: Int) -> NewQueuedMessage {
        NewQueuedMessage(
            id: name.id, fileName: fileName, reversePath: plan.reversePath,
            recipients: plan.remoteRecipients, envelopeID: plan.envelopeID, returnContent: plan.returnContent,
            needs8BitMIME: plan.needs8BitMIME, needsSMTPUTF8: plan.needsSMTPUTF8, size: size, arrival: Date(),
            submittingAccount: plan.submittingAccount, headerPrefix: queueHeaderPrefix.map { Data($0) })
    }
}
