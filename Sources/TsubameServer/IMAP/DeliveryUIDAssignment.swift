#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPMailbox
import IMAPStore
import Logging
import MaildirStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Gives delivered messages their IMAP UIDs (uidlist lines appended under its dotlock, as
/// Dovecot's LDA does) and wakes the IMAP sessions on the folder.
///
/// A folder a session has selected gets the UID before the 250, so IDLE sees the message at
/// once and every client agrees on the UID from the start. Any other folder's deliveries are
/// collected for `batchWindow` and numbered together: one lock, one append and one fsync per
/// batch instead of per message (per message they were a tenth of the server's CPU under an
/// SMTP flood). Until then the file sits in new/ without a record, which Dovecot's contract
/// allows (mail placed by Postfix's own maildir delivery is the same): whoever syncs the
/// folder next, a Tsubame session or Dovecot, numbers it under the same lock, and POP3's UIDL
/// for an unlisted file is the same base name the record's P field will hold. A crash before
/// the batch only leaves its messages to that next sync.
final class DeliveryUIDAssignment: Sendable {
    /// A batch waits at most this long for the uidlist lock (Dovecot or another session may
    /// hold it); after that its UIDs are given at the next IMAP sync instead. The messages
    /// themselves are durable either way.
    static let lockWait = 5
    static let batchWindow = TimeAmount.milliseconds(200)
    /// A folder with this many messages waiting is numbered by the delivery that fills it.
    static let batchLimit = 512

    private let mailStore: SharedIMAPMailStore
    private let window: TimeAmount
    private let timers: any EventLoop
    private let threads: NIOThreadPool
    private let logger: Logger
    /// Maildir → file names delivered and not numbered yet, in delivery order.
    private let pending = NIOLockedValueBox<[String: [String]]>([:])

    init(mailStore: SharedIMAPMailStore, timers: any EventLoop, threads: NIOThreadPool, logger: Logger,
         window: TimeAmount = batchWindow) {
        self.mailStore = mailStore
        self.window = window
        self.timers = timers
        self.threads = threads
        self.logger = logger
    }

    var observer: DeliveryObserver {
        { maildir, fileName in self.delivered(fileName, in: maildir) }
    }

    /// On the storage thread that delivered, before the 250.
    func delivered(_ fileName: String, in maildir: String) {
        if mailStore.storeIfMade?.isSelected(folderPath: maildir) == true {
            number(takePending(maildir) + [fileName], in: maildir)
            return
        }
        let waiting = pending.withLockedValue { pending in
            pending[maildir, default: []].append(fileName)
            return pending[maildir]?.count ?? 0
        }
        if waiting >= Self.batchLimit {
            number(takePending(maildir), in: maildir)
        } else if waiting == 1 {
            timers.scheduleTask(in: window) {
                _ = self.threads.runIfActive(eventLoop: self.timers) { self.flush(maildir) }
            }
        }
    }

    /// Numbers what waits for one folder now. Blocking.
    func flush(_ maildir: String) {
        number(takePending(maildir), in: maildir)
    }

    /// Numbers everything waiting (at shutdown). Blocking.
    func flushAll() {
        for maildir in pending.withLockedValue({ Array($0.keys) }) { flush(maildir) }
    }

    private func takePending(_ maildir: String) -> [String] {
        pending.withLockedValue { $0.removeValue(forKey: maildir) ?? [] }
    }

    private func number(_ fileNames: [String], in maildir: String) {
        // A file no longer in new/ was taken by POP3 or numbered and moved by a session: the
        // next sync sees it where it is; a record now could name a file that is gone.
        let present = fileNames.filter { access("\(maildir)/new/\($0)", F_OK) == 0 }
        guard !present.isEmpty else { return }
        var mailbox = MaildirMailbox(path: maildir, root: maildir)
        mailbox.lockWait = Self.lockWait
        do {
            let uids = try mailbox.assignUIDs(toDelivered: present)
            mailStore.storeIfMade?.noteDelivery(folderPath: maildir, fileNames: present, uids: uids)
        } catch {
            logger.warning("no IMAP UIDs at delivery; the next IMAP session assigns them",
                           metadata: ["folder": "\(maildir)", "messages": "\(present.count)", "error": "\(error)"])
            mailStore.storeIfMade?.noteChange(folderPath: maildir)
        }
    }
}
