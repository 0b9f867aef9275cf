/// A tagged client command (RFC 3501 §6 and the extensions Tsubame speaks).
public struct IMAPTaggedCommand: Equatable, Sendable {
    public var tag: String
    public var command: IMAPCommand

    public init(tag: String, command: IMAPCommand) {
        self.tag = tag
        self.command = command
    }
}

/// A mailbox name as the client sent it (RFC 3501 §9 `mailbox`): octets, still in modified
/// UTF-7 (RFC 3501 §5.1.3); the store decodes them. `INBOX` in any case is the inbox (§5.1).
public struct IMAPMailboxName: Equatable, Hashable, Sendable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    public static let inbox = IMAPMailboxName("INBOX")

    public var isInbox: Bool { IMAPCharacters.uppercased(bytes) == "INBOX" }
}

/// A tagged-ext parameter (RFC 4466 §2.1) of SELECT/EXAMINE, such as CONDSTORE: a name and an
/// optional simple value (a number or an astring). Lists as values are not supported.
public struct IMAPParameter: Equatable, Hashable, Sendable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]? = nil) {
        self.name = name
        self.value = value
    }
}

public enum IMAPCommand: Equatable, Sendable {
    // Any state (RFC 3501 §6.1)
    case capability
    case noop
    case logout
    // Not authenticated (§6.2)
    case starttls
    /// AUTHENTICATE auth-type [SP (base64 / "=")] (RFC 4959 SASL-IR): the initial response as
    /// its base64 text, empty for "=" (an empty response), nil when absent.
    case authenticate(mechanism: String, initialResponse: [UInt8]?)
    case login(username: [UInt8], password: [UInt8])
    // Authenticated (§6.3)
    case select(IMAPMailboxName, parameters: [IMAPParameter])
    case examine(IMAPMailboxName, parameters: [IMAPParameter])
    case create(IMAPMailboxName)
    case delete(IMAPMailboxName)
    case rename(from: IMAPMailboxName, to: IMAPMailboxName)
    case subscribe(IMAPMailboxName)
    case unsubscribe(IMAPMailboxName)
    case list(IMAPListCommand)
    case lsub(reference: IMAPMailboxName, pattern: [UInt8])
    case status(IMAPMailboxName, [IMAPStatusAttribute])
    /// APPEND, one message or several (MULTIAPPEND, RFC 3502).
    case append(IMAPMailboxName, [IMAPAppendMessage])
    /// NAMESPACE (RFC 2342)
    case namespace
    /// ENABLE capabilities (RFC 5161)
    case enable([String])
    /// ID (RFC 2971): nil for `ID NIL`.
    case id([IMAPIDField]?)
    /// IDLE (RFC 2177): ended by a line `DONE`.
    case idle
    // Selected (§6.4)
    case check
    case close
    /// UNSELECT (RFC 3691)
    case unselect
    case expunge
    /// UID EXPUNGE (RFC 4315 §2.1, UIDPLUS)
    case uidExpunge(IMAPSequenceSet)
    case search(IMAPSearchCommand, uid: Bool)
    case fetch(IMAPSequenceSet, [IMAPFetchAttribute], uid: Bool)
    case store(IMAPSequenceSet, IMAPStoreAction, uid: Bool)
    case copy(IMAPSequenceSet, IMAPMailboxName, uid: Bool)
    /// MOVE (RFC 6851)
    case move(IMAPSequenceSet, IMAPMailboxName, uid: Bool)
}

/// status-att (RFC 3501 §9)
public enum IMAPStatusAttribute: String, Equatable, Hashable, Sendable, CaseIterable {
    case messages = "MESSAGES"
    case recent = "RECENT"
    case uidNext = "UIDNEXT"
    case uidValidity = "UIDVALIDITY"
    case unseen = "UNSEEN"
}

/// One message of APPEND: [SP flag-list] [SP date-time] SP literal (RFC 3501 §6.3.11).
public struct IMAPAppendMessage: Equatable, Sendable {
    public var flags: [IMAPFlag]
    public var internalDate: IMAPDateTime?
    public var data: IMAPLiteralData

    public init(flags: [IMAPFlag] = [], internalDate: IMAPDateTime? = nil, data: IMAPLiteralData) {
        self.flags = flags
        self.internalDate = internalDate
        self.data = data
    }
}

/// A literal's payload: inline, or streamed by the framer (`.literalBytes` events, in order)
/// as the `index`-th streamed literal of the frame.
public enum IMAPLiteralData: Equatable, Sendable {
    case inline([UInt8])
    case streamed(index: Int, size: Int)

    public var size: Int {
        switch self {
        case .inline(let bytes): return bytes.count
        case .streamed(_, let size): return size
        }
    }
}

/// One ID field (RFC 2971 §3.3): a name and a value or NIL.
public struct IMAPIDField: Equatable, Hashable, Sendable {
    public var name: [UInt8]
    public var value: [UInt8]?

    public init(name: String, value: String?) {
        self.name = Array(name.utf8)
        self.value = value.map { Array($0.utf8) }
    }

    public init(name: [UInt8], value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

/// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
public struct IMAPStoreAction: Equatable, Sendable {
    public enum Operation: Equatable, Sendable {
        case replace, add, remove
    }
    public var operation: Operation
    public var silent: Bool
    public var flags: [IMAPFlag]

    public init(_ operation: Operation, silent: Bool = false, flags: [IMAPFlag]) {
        self.operation = operation
        self.silent = silent
        self.flags = flags
    }
}
