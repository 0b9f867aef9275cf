/// What one synchronisation found: the folder's UIDVALIDITY, next UID, and each message
/// present in new/ or cur/, ascending by UID. A few short strings per message; no content.
public struct UIDListSnapshot: Sendable, Equatable {
    public struct Message: Sendable, Equatable {
        public var uid: UInt32
        /// "new/NAME" or "cur/NAME", relative to the folder.
        public var location: String
        public var flags: MaildirFlags
        /// What POP3 answers for it: the record's `P` field, or Tsubame's rule for the name.
        public var pop3UIDL: String
        /// Octets with CRLF line ends, from W= in the name or the record, when known.
        public var virtualSize: Int?

        public var fileName: String { String(location.drop { $0 != "/" }.dropFirst()) }
        public var isInNew: Bool { location.hasPrefix("new/") }
    }

    public var uidValidity: UInt32
    public var nextUID: UInt32
    public var mailboxGUID: String
    public var messages: [Message]
}
