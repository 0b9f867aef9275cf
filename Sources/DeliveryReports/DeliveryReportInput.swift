/// What the outbound queue knows about a message when it reports on it: the envelope it
/// arrived with (RFC 5321 §2.3.1) and the DSN parameters of RFC 3461 §4.
public struct OriginalEnvelope: Sendable, Equatable {
    /// The MAIL FROM address without angle brackets; empty for the null reverse path `<>`.
    public var reversePath: String
    /// ENVID (RFC 3461 §4.4), already decoded from xtext; nil when the sender gave none.
    public var envelopeID: String?
    /// RET (RFC 3461 §4.3); nil when the sender gave none.
    public var returnContent: ReturnContent?
    /// The message was received with SMTPUTF8 (RFC 6531 §3.4): the report then uses the
    /// RFC 6533 "global" media types.
    public var smtputf8: Bool
    /// When the message arrived here, in seconds since 1970 (UTC).
    public var arrivalDate: Int

    public init(reversePath: String, envelopeID: String? = nil, returnContent: ReturnContent? = nil,
                smtputf8: Bool = false, arrivalDate: Int) {
        self.reversePath = reversePath
        self.envelopeID = envelopeID
        self.returnContent = returnContent
        self.smtputf8 = smtputf8
        self.arrivalDate = arrivalDate
    }

    /// The null reverse path: a bounce, which must never be answered with another one
    /// (RFC 5321 §4.5.5, RFC 3461 §6.2).
    public var hasNullReversePath: Bool { reversePath.isEmpty }
}

/// RET (RFC 3461 §4.3): whether a failure report carries the whole message or its header.
public enum ReturnContent: String, Sendable, Equatable {
    case full = "FULL"
    case headers = "HDRS"
}

/// The Action field of a per-recipient block (RFC 3464 §2.3.3).
public enum ReportAction: String, Sendable, Equatable, CaseIterable {
    case failed, delayed, delivered, relayed, expanded
}

/// ORCPT (RFC 3461 §4.2), already decoded from xtext: an address type ("rfc822", or "utf-8"
/// as RFC 6533 §3 adds) and the address as the sender first wrote it.
public struct OriginalRecipient: Sendable, Equatable {
    public var addressType: String
    public var address: String

    public init(addressType: String, address: String) {
        self.addressType = addressType
        self.address = address
    }
}

/// The last reply a remote server gave for this recipient (RFC 5321 §4.2).
public struct RemoteReply: Sendable, Equatable {
    public var code: Int
    /// The reply's text; the lines of a multi-line reply joined by "\n" or given one by one.
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public init(code: Int, text: String) {
        self.init(code: code, lines: [text])
    }
}

/// What happened to one recipient, as the queue recorded it.
public struct RecipientOutcome: Sendable, Equatable {
    /// The address the message was sent to (the RCPT TO), without angle brackets.
    public var address: String
    public var originalRecipient: OriginalRecipient?
    /// NOTIFY (RFC 3461 §4.1); nil when the sender gave none.
    public var notify: NotifyConditions?
    public var action: ReportAction
    /// An RFC 3463 status such as "5.1.1"; one that is malformed is replaced by the action's
    /// generic status ("5.0.0", "4.0.0", "2.0.0").
    public var status: String
    /// The host that answered, when the failure came from a remote server (RFC 3464 §2.3.5).
    public var remoteMTA: String?
    public var remoteReply: RemoteReply?
    /// Seconds since 1970 (UTC).
    public var lastAttemptDate: Int?
    /// For a delay: when the queue gives up (RFC 3464 §2.3.9), seconds since 1970 (UTC).
    public var willRetryUntil: Int?

    public init(address: String, originalRecipient: OriginalRecipient? = nil, notify: NotifyConditions? = nil,
                action: ReportAction, status: String, remoteMTA: String? = nil, remoteReply: RemoteReply? = nil,
                lastAttemptDate: Int? = nil, willRetryUntil: Int? = nil) {
        self.address = address
        self.originalRecipient = originalRecipient
        self.notify = notify
        self.action = action
        self.status = status
        self.remoteMTA = remoteMTA
        self.remoteReply = remoteReply
        self.lastAttemptDate = lastAttemptDate
        self.willRetryUntil = willRetryUntil
    }
}
