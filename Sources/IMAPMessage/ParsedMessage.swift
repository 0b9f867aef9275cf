import IMAPProtocol

/// Bounds on what one parse may build, so a hostile message stays linear (Dovecot's
/// CVE-2024-23184 was quadratic address parsing).
public struct MIMELimits: Sendable, Equatable {
    /// Nesting of multiparts and message/rfc822 parts.
    public var maximumDepth: Int
    /// Parts in the whole message; beyond it the rest is one opaque part.
    public var maximumParts: Int
    /// Addresses kept per envelope field.
    public var maximumAddresses: Int

    public init(maximumDepth: Int = 32, maximumParts: Int = 1_000, maximumAddresses: Int = 1_000) {
        self.maximumDepth = maximumDepth
        self.maximumParts = maximumParts
        self.maximumAddresses = maximumAddresses
    }
}

/// A message parsed once for FETCH and SEARCH: its MIME tree (RFC 2045/2046) over the CRLF
/// bytes, without copies of the parts.
public struct ParsedMessage: Sendable {
    /// The message with CRLF line ends, as IMAP serves it.
    public let bytes: [UInt8]

    /// Parses `bytes` (CRLF form); never fails: malformed MIME is read as Dovecot reads it.
    public init(crlf bytes: [UInt8], limits: MIMELimits = MIMELimits()) {
        fatalError("IMAPMessage: not built yet")
    }

    /// ENVELOPE (RFC 3501 §7.4.2) of the top-level header.
    public var envelope: IMAPEnvelope { fatalError("IMAPMessage: not built yet") }

    /// BODYSTRUCTURE with extension data; the encoder leaves the extension data out for BODY.
    public var bodyStructure: IMAPBodyStructure { fatalError("IMAPMessage: not built yet") }

    /// The octets of BODY[section] (RFC 3501 §6.4.5), before any <partial>; nil when the part
    /// does not exist (the server then answers an empty string, as Dovecot does).
    public func section(_ section: IMAPSection) -> [UInt8]? {
        fatalError("IMAPMessage: not built yet")
    }

    /// The top-level Date: field's date in its own zone, for SENTBEFORE/SENTON/SENTSINCE
    /// (RFC 3501 §6.4.4); nil when absent or unreadable.
    public var sentDate: IMAPDate? { fatalError("IMAPMessage: not built yet") }
}
