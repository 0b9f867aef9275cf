/// When the client uses STARTTLS (RFC 3207; RFC 8314 §3.3 and `[delivery.tls] policy`).
public enum SMTPClientTLSPolicy: String, Sendable, Equatable {
    /// Never: plaintext even when offered.
    case none
    /// Opportunistic: when offered; plaintext otherwise.
    case may
    /// Required; the certificate is not checked (the glue's business).
    case encrypt
    /// Required; the glue verifies the certificate chain and name.
    case verify

    var requiresTLS: Bool { self == .encrypt || self == .verify }
}

/// Credentials for a smarthost (RFC 4954), sent with PLAIN or LOGIN.
public struct SMTPClientCredentials: Sendable, Equatable {
    public var username: String
    public var password: String
    /// RFC 4954 §4 lets a client refuse to send a password without TLS; it does so unless this is set.
    public var allowWithoutTLS: Bool

    public init(username: String, password: String, allowWithoutTLS: Bool = false) {
        self.username = username
        self.password = password
        self.allowWithoutTLS = allowWithoutTLS
    }
}

public struct SMTPClientConfiguration: Sendable, Equatable {
    /// The EHLO/HELO argument: this host's name or an address literal (RFC 5321 §4.1.1.1).
    public var clientName: String
    public var tlsPolicy: SMTPClientTLSPolicy
    /// True on an implicit-TLS connection (port 465, RFC 8314 §3.3): no STARTTLS.
    public var tlsActiveFromStart: Bool
    public var credentials: SMTPClientCredentials?

    public init(clientName: String, tlsPolicy: SMTPClientTLSPolicy = .may, tlsActiveFromStart: Bool = false,
                credentials: SMTPClientCredentials? = nil) {
        self.clientName = clientName
        self.tlsPolicy = tlsPolicy
        self.tlsActiveFromStart = tlsActiveFromStart
        self.credentials = credentials
    }
}

/// One recipient of an outbound transaction, with its DSN parameters (RFC 3461 §4.1, §4.2).
public struct SMTPOutboundRecipient: Sendable, Equatable {
    public var mailbox: SMTPMailbox
    public var dsn: SMTPRecipientParameters

    public init(_ mailbox: SMTPMailbox, dsn: SMTPRecipientParameters = SMTPRecipientParameters()) {
        self.mailbox = mailbox
        self.dsn = dsn
    }
}

/// What one transaction sends: the envelope and what the content needs of the server.
public struct SMTPOutboundMessage: Sendable, Equatable {
    public var reversePath: SMTPReversePath
    public var recipients: [SMTPOutboundRecipient]
    /// Octets of the content on the wire (CRLF line ends), for SIZE (RFC 1870 §6).
    public var size: Int
    /// Whether the content has octets above 127 (RFC 6152).
    public var bodyType: SMTPBodyType
    /// Whether an address or a header needs SMTPUTF8 (RFC 6531 §3.4).
    public var needsSMTPUTF8: Bool
    public var dsnReturn: DSNReturn?
    public var envelopeID: String?

    public init(reversePath: SMTPReversePath, recipients: [SMTPOutboundRecipient], size: Int,
                bodyType: SMTPBodyType = .sevenBit, needsSMTPUTF8: Bool = false,
                dsnReturn: DSNReturn? = nil, envelopeID: String? = nil) {
        self.reversePath = reversePath
        self.recipients = recipients
        self.size = size
        self.bodyType = bodyType
        self.needsSMTPUTF8 = needsSMTPUTF8
        self.dsnReturn = dsnReturn
        self.envelopeID = envelopeID
    }
}

/// What became of one recipient: the queue commits a delivery, retries a deferral, bounces a
/// failure. A type, so nobody decides retry-or-bounce by reading the text.
public enum SMTPDeliveryStatus: Sendable, Equatable {
    /// The server took responsibility (2xx to the final dot, RFC 5321 §4.1.1.4).
    case delivered
    /// Try again later: a 4xx, a lost connection, a timeout, a TLS requirement not met.
    case deferred
    /// Never retried: a 5xx, or a refusal decided here (SIZE, 8BITMIME, SMTPUTF8).
    case failed
}

/// The outcome of one recipient, with the reply for the log line and the DSN's
/// Diagnostic-Code (RFC 3464 §2.3.6) or, when `remote` is false, the reply made up here.
public struct SMTPRecipientResult: Sendable, Equatable {
    public var recipient: SMTPMailbox
    public var status: SMTPDeliveryStatus
    public var reply: SMTPReply
    /// True when the server sent `reply`; false when this client decided without asking.
    public var remote: Bool

    public init(recipient: SMTPMailbox, status: SMTPDeliveryStatus, reply: SMTPReply, remote: Bool) {
        self.recipient = recipient
        self.status = status
        self.reply = reply
        self.remote = remote
    }
}

/// Why a connection ended before or outside a transaction.
public struct SMTPClientFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// `.delivered` never appears here.
    public var status: SMTPDeliveryStatus
    public var reason: String
    /// The server's reply that caused it, if one did.
    public var reply: SMTPReply?
    /// RFC 3463 code for logs and DSNs: the reply's, or one chosen here.
    public var enhancedCode: String
    /// A STARTTLS handshake failed under `may`: the glue may try again in plaintext.
    public var retryWithoutTLS: Bool

    public init(status: SMTPDeliveryStatus, reason: String, reply: SMTPReply? = nil, enhancedCode: String? = nil,
                retryWithoutTLS: Bool = false) {
        self.status = status
        self.reason = reason
        self.reply = reply
        self.enhancedCode = enhancedCode ?? reply?.enhanced ?? (status == .failed ? "5.0.0" : "4.0.0")
        self.retryWithoutTLS = retryWithoutTLS
    }

    public var description: String { reason + (reply.map { ": \($0)" } ?? "") }
}

/// What the glue does for the session. Several `.send` in one answer are one flight, written
/// together (RFC 2920 §3.1).
public enum SMTPClientAction: Sendable, Equatable {
    case send(SMTPCommand)
    /// A SASL response line (base64, RFC 4954 §4).
    case sendSASLResponse(String)
    /// The 220 to STARTTLS came and nothing was behind it: start the handshake now, then call
    /// `tlsEstablished()` or `tlsFailed()`.
    case startTLS
    /// The 354 came: stream the content through `DotStuffingEncoder`, its end marker included.
    case sendContent
    /// The 354 came although no recipient was accepted (RFC 2920 §3.1): write only "." CRLF.
    case sendEndOfContentOnly
    /// The transaction is over: one result per recipient, in the order given.
    case transactionFinished([SMTPRecipientResult])
    /// Idle and able to take `start(_:)` or `quit()`.
    case ready
    /// Close the connection, after writing what the same answer sent; the failure says why,
    /// nil after a normal QUIT.
    case close(SMTPClientFailure?)
}
