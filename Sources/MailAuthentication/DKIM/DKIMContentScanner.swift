// CONTRACT (helper DKIM fills in; public signatures stay).

/// One header field as received, for DKIM and for reading From.
public struct MessageHeaderField: Sendable, Equatable {
    /// The name as written (case kept).
    public var name: String
    /// The whole field as on the wire: name, colon, value with its folding, CRLF line ends,
    /// the final CRLF included (what "simple" header canonicalization hashes).
    public var raw: [UInt8]

    public init(name: String, raw: [UInt8]) {
        self.name = name
        self.raw = raw
    }

    /// Makes a field from LF-ended text ("Name: value\n", folded lines allowed).
    public init?(text: String) { fatalError("contract") }

    /// The value with folding removed (RFC 5322 §2.2.3), leading whitespace dropped.
    public var unfoldedValue: String { fatalError("contract") }
}

/// Reads a message as the SMTP content decoder produces it (local form: LF line ends,
/// dot-unstuffed), in pieces, keeping the header fields (bounded) and hashing the body for
/// DKIM as it passes, so nothing but the header stays in memory. Line ends are hashed as CRLF
/// (RFC 6376 §3.4: canonicalization works on the CRLF form).
public struct DKIMContentScanner: Sendable {
    public enum Purpose: Sendable {
        /// A relaxed body hash (SHA-256) for our own signature.
        case signing
        /// Body hashes for each DKIM-Signature in the header, up to `maximumSignatures` of them
        /// (the rest are reported as not checked), with their canonicalization and l=.
        case verifying(maximumSignatures: Int)
    }

    public init(purpose: Purpose) { fatalError("contract") }

    /// Feeds the next piece of content.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) { fatalError("contract") }

    /// The end of the content: the header fields and the body hashes.
    public mutating func finish() -> ScannedMessage { fatalError("contract") }
}

/// A message as DKIM needs it: its header fields in order (top first) and its body hashes.
public struct ScannedMessage: Sendable {
    /// Top first. The server may insert fields it adds above the content (an added Message-ID
    /// or Date) before signing.
    public var headerFields: [MessageHeaderField]
    /// The header was longer than the scanner keeps (its fields beyond are missing).
    public var headerTooLarge: Bool

    /// The header From's domain (lower-cased), when there is exactly one From field with
    /// exactly one address; nil otherwise (RFC 7489 §6.6.1: such messages get no DMARC pass).
    public var fromDomain: String? { fatalError("contract") }
}
