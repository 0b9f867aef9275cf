/// The account directory. Implementations must be safe to call from many threads at once.
///
/// A protocol so the server can be tested against an in-memory fake and so
/// the storage can change without touching SMTP code.
public protocol AccountDirectory: Sendable {
    /// Resolves a RCPT TO address. Lookups are case-insensitive.
    func lookupRecipient(localPart: String, domain: String, recipientDelimiter: String?) throws -> RecipientLookup
    func isLocalDomain(_ domain: String) throws -> Bool
    /// nil for an unknown user OR a wrong password; an unknown user is verified
    /// against a fixed dummy hash so both cases take the same time.
    func verifyPassword(address: String, password: String) throws -> MailboxAddress?
    func addDomain(_ domain: String) throws
    /// Refuses (`domainNotEmpty`) while users or aliases exist in the domain.
    func removeDomain(_ domain: String) throws
    func listDomains() throws -> [String]
    /// The domain added first (the one `tsubame init` created); nil when there is none.
    func firstAddedDomain() throws -> String?
    /// The domain must exist (`unknownDomain`).
    func addUser(_ address: String, password: String) throws -> MailboxAddress
    func removeUser(_ address: String) throws
    func setPassword(_ address: String, password: String) throws
    func listUsers(domain: String?) throws -> [UserRecord]
    /// The alias domain must be local; targets are local or remote addresses,
    /// and a target in a local domain must be an existing user or alias.
    func addAlias(_ alias: String, targets: [String]) throws
    func removeAlias(_ alias: String) throws
    func listAliases(domain: String?) throws -> [AliasRecord]
    /// `tsubame user send-as add ACCOUNT ADDRESS|@DOMAIN`: the account must be a user; the
    /// address need not be local (a user may send as their address elsewhere). No such user:
    /// `noSuchUser`; the grant already there (in any case): `sendAsExists`.
    func addSendAs(account: String, address: String) throws
    /// `noSuchSendAs` when the account has no such grant (compared case-insensitively).
    func removeSendAs(account: String, address: String) throws
    /// nil: every grant. An account that is not a user: `noSuchUser`.
    func listSendAs(account: String?) throws -> [SendAsGrant]
}
