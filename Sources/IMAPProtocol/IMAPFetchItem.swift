/// msg-att (RFC 3501 §7.4.2, §9): one item of a FETCH response.
public enum IMAPFetchItem: Equatable, Sendable {
    case flags([IMAPFlag])
    case internalDate(IMAPDateTime)
    case rfc822Size(Int)
    case uid(UInt32)
    case envelope(IMAPEnvelope)
    /// BODY: the structure without extension data.
    case body(IMAPBodyStructure)
    /// BODYSTRUCTURE: with the extension data the structure carries.
    case bodyStructure(IMAPBodyStructure)
    /// "BODY" section ["<" number ">"] SP nstring
    case bodySection(IMAPSection, origin: UInt32?, data: [UInt8]?)
    case rfc822([UInt8]?)
    case rfc822Header([UInt8]?)
    case rfc822Text([UInt8]?)
    /// An item already in wire form, name included (`ENVELOPE (...)`, `BODYSTRUCTURE (...)`), as
    /// a cache keeps it: written as is.
    case encoded([UInt8])
    /// `MODSEQ (n)` (RFC 7162 §3.1.4.1), for CONDSTORE later.
    case modSequence(UInt64)
}

/// A FETCH item whose data the server streams as a literal after the encoded prefix
/// (`IMAPResponseEncoder.encodeStreamingFetch`).
public enum IMAPStreamedFetchItem: Equatable, Sendable {
    case bodySection(IMAPSection, origin: UInt32?)
    case rfc822, rfc822Header, rfc822Text
}

/// envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP
///            env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"
public struct IMAPEnvelope: Equatable, Sendable {
    public var date: [UInt8]?
    public var subject: [UInt8]?
    public var from: [IMAPAddress]
    public var sender: [IMAPAddress]
    public var replyTo: [IMAPAddress]
    public var to: [IMAPAddress]
    public var cc: [IMAPAddress]
    public var bcc: [IMAPAddress]
    public var inReplyTo: [UInt8]?
    public var messageID: [UInt8]?

    public init(date: [UInt8]? = nil, subject: [UInt8]? = nil, from: [IMAPAddress] = [], sender: [IMAPAddress] = [],
                replyTo: [IMAPAddress] = [], to: [IMAPAddress] = [], cc: [IMAPAddress] = [], bcc: [IMAPAddress] = [],
                inReplyTo: [UInt8]? = nil, messageID: [UInt8]? = nil) {
        self.date = date
        self.subject = subject
        self.from = from
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.inReplyTo = inReplyTo
        self.messageID = messageID
    }
}

/// address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")". A group is an address
/// with a nil host whose mailbox is the group name, ended by one with nil mailbox and host
/// (RFC 3501 §7.4.2).
public struct IMAPAddress: Equatable, Sendable {
    public var name: [UInt8]?
    public var adl: [UInt8]?
    public var mailbox: [UInt8]?
    public var host: [UInt8]?

    public init(name: [UInt8]? = nil, adl: [UInt8]? = nil, mailbox: [UInt8]?, host: [UInt8]?) {
        self.name = name
        self.adl = adl
        self.mailbox = mailbox
        self.host = host
    }
}
