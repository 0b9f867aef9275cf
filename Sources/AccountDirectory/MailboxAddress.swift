/// A canonical local mailbox: lowercase domain, lowercase local part (as stored).
///
/// Both parts are lowercased on the way in so that lookups are case-insensitive
/// and so that one user always maps to exactly one `mail/DOMAIN/LOCALPART`
/// directory, whatever case a sender happens to use.
public struct MailboxAddress: Hashable, Sendable, CustomStringConvertible {
    public var localPart: String
    public var domain: String

    /// Stores the parts lowercased; does not validate them (use `init?(parsing:)` for input).
    public init(localPart: String, domain: String) {
        self.localPart = localPart.lowercased()
        self.domain = domain.lowercased()
    }

    public var description: String { "\(localPart)@\(domain)" }

    /// A domain's catch-all alias, "@example.org": the empty local part, which no mailbox can
    /// have, so it never collides with a user or an ordinary alias.
    public static func catchAll(domain: String) -> MailboxAddress {
        MailboxAddress(localPart: "", domain: domain)
    }

    public var isCatchAll: Bool { localPart.isEmpty }

    /// Parses "local@domain" (splits at the LAST "@"), lowercases both; nil when malformed.
    ///
    /// "Malformed" uses the strict rules of `AddressSyntax`, because a mailbox's
    /// local part becomes a directory name.
    public init?(parsing address: String) {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let localPart = address[..<at].lowercased()
        let domain = address[address.index(after: at)...].lowercased()
        guard AddressSyntax.isValidLocalPart(localPart), AddressSyntax.isValidDomain(domain) else {
            return nil
        }
        self.localPart = localPart
        self.domain = domain
    }
}
