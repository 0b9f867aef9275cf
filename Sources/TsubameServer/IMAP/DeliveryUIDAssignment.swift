import IMAPStore
import Logging
import MaildirStore

/// Gives every delivered message its IMAP UID before the 250 (the uidlist line appended under
/// its dotlock, as Dovecot's LDA does), then wakes the IMAP sessions on that folder, so IDLE
/// sees new mail at once and every client agrees on the UID from the start.
enum DeliveryUIDAssignment {
    /// A delivery waits at most this long for the uidlist lock (Dovecot or another session may
    /// hold it); after that the UID is given at the next IMAP sync instead. The message itself
    /// is durable either way.
    static let lockWait = 5

    static func observer(mailStore: SharedIMAPMailStore, logger: Logger) -> DeliveryObserver {
        { maildir, fileName in
            var mailbox = MaildirMailbox(path: maildir, root: maildir)
            mailbox.lockWait = lockWait
            do {
                let uids = try mailbox.assignUIDs(toDelivered: [fileName])
                mailStore.storeIfMade?.noteDelivery(folderPath: maildir, fileNames: [fileName], uids: uids)
            } catch {
                logger.warning("no IMAP UID at delivery; the next IMAP session assigns it",
                               metadata: ["file": "\(fileName)", "error": "\(error)"])
                mailStore.storeIfMade?.noteChange(folderPath: maildir)
            }
        }
    }
}
