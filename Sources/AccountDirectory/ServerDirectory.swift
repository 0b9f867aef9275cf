import SASL

/// The directory as the running server reads it: recipient lookups, sender permissions and
/// credentials. Asynchronous, so a backend with a native async client (postgres-nio) never
/// blocks a thread; the SQLite adapter runs these on a thread pool of its own. The admin
/// writes the CLI uses stay on the synchronous `AccountDirectory`.
public protocol RecipientDirectory: Sendable {
    /// Resolves a RCPT TO address. Lookups are case-insensitive.
    func lookupRecipient(localPart: String, domain: String, recipientDelimiter: String?) async throws -> RecipientLookup
    func isLocalDomain(_ domain: String) async throws -> Bool
    /// The domain added first; nil when there is none.
    func firstAddedDomain() async throws -> String?
    /// May `account` use `address` as MAIL FROM or in the header From? Its own address, its
    /// plus-addresses (with `recipientDelimiter`), aliases that deliver to it, and send-as
    /// grants (an address, or `@domain` for a whole domain). Case-insensitive.
    func mayUseSender(account: MailboxAddress, address: String, recipientDelimiter: String?) async throws -> Bool
    /// Changes whenever anything in the directory may have changed (any process's write), read
    /// without blocking: recipient verdicts are cached while it stays the same. nil: the
    /// backend cannot tell, and nothing is cached.
    func changeStamp() -> DirectoryChangeStamp?
}

extension RecipientDirectory {
    public func changeStamp() -> DirectoryChangeStamp? { nil }
}

/// An opaque token of the directory's state (for SQLite, its files' sizes and times).
public struct DirectoryChangeStamp: Sendable, Hashable {
    let parts: [Int]

    public init(_ parts: [Int]) {
        self.parts = parts
    }
}

/// Credentials, for the authenticator.
public protocol CredentialDirectory: Sendable {
    /// nil for an unknown user OR a wrong password, at the same cost. A user whose SCRAM keys
    /// are missing (password set before they existed) gets them here, from the password that
    /// just verified.
    func verifyPassword(address: String, password: String) async throws -> MailboxAddress?
    /// The SCRAM-SHA-256 keys of a user. An unknown user, or one without keys yet, gets
    /// made-up keys derived from a per-directory secret and the name, stable across calls, so
    /// the exchange is indistinguishable; `mailbox` is nil then and the proof never verifies.
    func scramCredentials(address: String) async throws -> SCRAMLookup
    /// The account when `password` verified recently against its current credentials, without
    /// hashing (a cache of successes); nil means "not known": `verifyPassword` decides.
    func verifyRememberedPassword(address: String, password: String) async throws -> MailboxAddress?
}

extension CredentialDirectory {
    /// A backend without a cache of successes: every login is checked in full.
    public func verifyRememberedPassword(address: String, password: String) async throws -> MailboxAddress? { nil }
}

public struct SCRAMLookup: Sendable, Equatable {
    public var mailbox: MailboxAddress?
    public var credentials: SCRAMCredentials

    public init(mailbox: MailboxAddress?, credentials: SCRAMCredentials) {
        self.mailbox = mailbox
        self.credentials = credentials
    }
}

/// One send-as grant: `account` may send as `address` (`local@domain`, or `@domain`).
public struct SendAsGrant: Sendable, Equatable {
    public var account: MailboxAddress
    public var address: String

    public init(account: MailboxAddress, address: String) {
        self.account = account
        self.address = address
    }
}
