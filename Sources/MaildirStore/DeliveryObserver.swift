/// Called once per local mailbox for every message `MaildirStore` delivers (SMTP, submission
/// to local users, and the server's own delivery reports, which take the same path), after the
/// file in `maildir`/new is durable and before the client is told 250.
///
/// Runs on the storage thread that delivered; it must not block for long and cannot fail the
/// delivery (it returns nothing: a problem is the observer's to log). The server uses it to
/// give the message its IMAP UID when a session has its folder selected (other folders number
/// their new files at their next sync), which MaildirStore cannot do itself: IMAPStore depends
/// on MaildirStore, not the other way. See `DeliveryUIDAssignment`.
public typealias DeliveryObserver = @Sendable (_ maildir: String, _ fileName: String) -> Void
