/// What the session learned about one recipient from the account directory.
public enum RecipientVerdict<Destination: Sendable & Equatable>: Sendable, Equatable {
    case accept(Destination)
    case unknownUser
    case relayDenied
    case temporaryFailure
}

/// One accepted recipient: the address as given and where it resolved to.
public struct SMTPRecipient<Destination: Sendable & Equatable>: Sendable, Equatable {
    public var address: SMTPMailbox
    public var destination: Destination
}

/// The envelope of the transaction in progress (RFC 5321 §2.3.1).
public struct SMTPEnvelope<Destination: Sendable & Equatable>: Sendable, Equatable {
    public var reversePath: SMTPReversePath
    public var recipients: [SMTPRecipient<Destination>] = []
    public var bodyType: SMTPBodyType = .sevenBit
    public var smtputf8 = false
    public var declaredSize: Int?
}
