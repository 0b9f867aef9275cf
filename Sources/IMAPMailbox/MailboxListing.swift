import IMAPProtocol
import IMAPStore

/// LIST and LSUB over a user's Maildir++ folders and subscriptions: RFC 3501 §6.3.8/§6.3.9
/// patterns (`*`, `%`, the reference), LIST-EXTENDED selection and return options (RFC 5258),
/// SPECIAL-USE attributes (RFC 6154), CHILDREN (RFC 3348), LIST-STATUS (RFC 5819).
/// Blocking: reads directories.
struct MailboxListing {
    let root: String

    init(root: String) {
        self.root = root
    }

    /// The untagged LIST (and, for RETURN (STATUS …), STATUS) responses in order. `status`
    /// answers STATUS for a selectable mailbox (nil leaves it out, as for a vanished one).
    func list(_ command: IMAPListCommand,
              status: (MailboxName, [IMAPStatusAttribute]) throws -> [IMAPStatusValue]?) throws -> [IMAPResponse] {
        fatalError("IMAPMailbox: MailboxListing not built yet")
    }

    /// The untagged LSUB responses (RFC 3501 §6.3.9).
    func lsub(reference: IMAPMailboxName, pattern: [UInt8]) throws -> [IMAPResponse] {
        fatalError("IMAPMailbox: MailboxListing not built yet")
    }
}
