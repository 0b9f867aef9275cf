/// A server response (RFC 3501 §7).
public enum IMAPResponse: Equatable, Sendable {
    /// tag OK/NO/BAD [code] text
    case tagged(String, IMAPStatus)
    /// An untagged (`*`) response.
    case untagged(IMAPUntaggedResponse)
    /// continue-req = "+" SP (resp-text / base64): `+ text`, or a SASL challenge in base64.
    case continuation(String)
}

/// Untagged data and statuses (RFC 3501 §7.1-§7.4 and the extensions).
public enum IMAPUntaggedResponse: Equatable, Sendable {
    /// `* OK/NO/BAD [code] text`, the greeting among them.
    case status(IMAPStatus)
    /// `* BYE [code] text` (RFC 3501 §7.1.5)
    case bye(IMAPResponseCode?, String)
    case capability([String])
    case list(IMAPListItem)
    case lsub(IMAPListItem)
    /// `* STATUS mailbox (MESSAGES n ...)`
    case mailboxStatus(IMAPMailboxName, [IMAPStatusValue])
    case search([UInt32])
    case flags([IMAPFlag])
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    case fetch(UInt32, [IMAPFetchItem])
    /// ENABLED (RFC 5161 §3.2)
    case enabled([String])
    /// ID (RFC 2971 §3.2): nil for NIL.
    case id([IMAPIDField]?)
    /// NAMESPACE personal other-users shared (RFC 2342 §5); nil for NIL.
    case namespace(personal: [IMAPNamespace]?, otherUsers: [IMAPNamespace]?, shared: [IMAPNamespace]?)
}

public struct IMAPStatusValue: Equatable, Sendable {
    public var attribute: IMAPStatusAttribute
    public var value: UInt32

    public init(_ attribute: IMAPStatusAttribute, _ value: UInt32) {
        self.attribute = attribute
        self.value = value
    }
}

/// mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
///                [SP mbox-list-extended]   (RFC 3501 §9, RFC 5258 §6)
public struct IMAPListItem: Equatable, Sendable {
    /// Name attributes with their backslash: `\HasNoChildren`, `\Noselect`, `\Subscribed`,
    /// `\Sent` (SPECIAL-USE, RFC 6154).
    public var attributes: [String]
    /// The hierarchy delimiter, nil for NIL (a flat namespace).
    public var delimiter: UInt8?
    public var name: IMAPMailboxName
    /// CHILDINFO ("SUBSCRIBED") (RFC 5258 §3.5), sent with RECURSIVEMATCH.
    public var childInfoSubscribed: Bool

    public init(attributes: [String], delimiter: UInt8?, name: IMAPMailboxName, childInfoSubscribed: Bool = false) {
        self.attributes = attributes
        self.delimiter = delimiter
        self.name = name
        self.childInfoSubscribed = childInfoSubscribed
    }
}

/// namespace-descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil) ")"   (RFC 2342 §5)
public struct IMAPNamespace: Equatable, Sendable {
    public var prefix: [UInt8]
    public var delimiter: UInt8?

    public init(prefix: String, delimiter: UInt8?) {
        self.prefix = Array(prefix.utf8)
        self.delimiter = delimiter
    }
}
