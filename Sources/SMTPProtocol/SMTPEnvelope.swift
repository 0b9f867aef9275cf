/// What the session learned about one recipient from the account directory.
public enum RecipientVerdict<Destination: Sendable & Equatable>: Sendable, Equatable {
    case accept(Destination)
    case unknownUser
    case relayDenied
    case temporaryFailure
    /// The authenticated account reached a recipient limit (`[submission]`): 450 4.7.1.
    case recipientLimitReached
}

/// What the handler found about the envelope sender of an authenticated session (RFC 6409 §4.1).
public enum SenderVerdict: Sendable, Equatable {
    case accept
    /// The account may not use this MAIL FROM: 550 5.7.1.
    case notOwned
    /// The account sent as many messages as it may this hour: 450 4.7.1.
    case messageLimitReached
    case temporaryFailure
}

/// What the handler's checks (SPF, DKIM, DMARC) decided about a message from another server.
public enum MessageVerdict: Sendable, Equatable {
    case accept
    /// Not stored: a 5xx (counted as an error) or a 4xx (try again later).
    case refuse(SMTPReply)
}

/// What the handler found about the header From of a message from an authenticated session.
public enum HeaderSenderVerdict: Sendable, Equatable {
    case accept
    case notOwned
    /// Missing parse, or a header too large to check.
    case unreadable
    case temporaryFailure
}

/// One accepted recipient: the address as given, where it resolved to, and its DSN
/// parameters (RFC 3461 §4.1, §4.2).
public struct SMTPRecipient<Destination: Sendable & Equatable>: Sendable, Equatable {
    public var address: SMTPMailbox
    public var destination: Destination
    public var dsn = DSNRecipientParameters()
}

/// The envelope of the transaction in progress (RFC 5321 §2.3.1).
public struct SMTPEnvelope<Destination: Sendable & Equatable>: Sendable, Equatable {
    public var reversePath: SMTPReversePath
    public var recipients: [SMTPRecipient<Destination>] = []
    public var bodyType: SMTPBodyType = .sevenBit
    public var smtputf8 = false
    public var declaredSize: Int?
    /// RET (RFC 3461 §4.3): what a failure DSN returns of the message.
    public var dsnReturn: DSNReturn?
    /// ENVID (RFC 3461 §4.4) as received, in xtext.
    public var envelopeID: String?
}
