import IMAPMailbox
import IMAPStore
import Logging
import MaildirStore

/// Gives a delivered message its IMAP UID when a session has its folder selected: the uidlist
/// line appended under its dotlock before the 250, as Dovecot's LDA does, and the folder's
/// sessions woken, so IDLE sees the message at once with the UID every client will agree on.
///
/// Any other folder's messages wait in new/ without a record, as mail placed by Postfix's own
/// Maildir delivery does for Dovecot: whoever syncs the folder next (SELECT, STATUS, a Tsubame
/// session or Dovecot) numbers every new file at once under the same lock, and POP3's UIDL for
/// an unlisted file is the base name the record's P field will hold. Numbering each message
/// at delivery instead cost a lock, an append and an fsync per message, a tenth of the server's
/// CPU under an SMTP flood and more with many recipients, for folders no one was looking at.
enum DeliveryUIDAssignment {
    /// A delivery waits at most this long for the uidlist lock (Dovecot or another session may
    /// hold it); after that the UID is given at the next IMAP sync instead. The message itself
    /// is durable either way.
    static let lockWait = 5

    static func observer(mailStore: SharedIMAPMailStore, logger: Logger) -> DeliveryObserver {
        { maildir, fileName in
            guard let store = mailStore.storeIfMade else { return }
            guard store.isSelected(folderPath: maildir) else {
                // A resting owner rescans at its next sync rather than trust the directory's
                // mtime, which a delivery in the same clock tick may leave unchanged.
                store.noteChange(folderPath: maildir)
                return
            }
            var mailbox = MaildirMailbox(path: maildir, root: maildir)
            mailbox.lockWait = lockWait
            do {
                let uids = try mailbox.assignUIDs(toDelivered: [fileName])
                store.noteDelivery(folderPath: maildir, fileNames: [fileName], uids: uids)
            } catch {
                logger.warning("no IMAP UID at delivery; the next IMAP sync assigns it",
                               metadata: ["file": "\(fileName)", "error": "\(error)"])
                store.noteChange(folderPath: maildir)
            }
        }
    }
}
