// CONTRACT (helper DKIM fills in; public signatures stay).

/// Signs with one key (RFC 6376 §5): relaxed/relaxed, no l=, the listed headers signed
/// bottom-up, the core ones oversigned (one more time than present, so none can be added).
public struct DKIMSigner: Sendable {
    public let domain: String
    public let selector: String
    public let key: DKIMPrivateKey

    /// From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To, References,
    /// MIME-Version, Content-Type and the List-* fields present.
    public static let signedHeaderNames: [String] = []
    /// Oversigned: From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To, References,
    /// MIME-Version, Content-Type.
    public static let oversignedHeaderNames: [String] = []

    public init(domain: String, selector: String, key: DKIMPrivateKey) {
        self.domain = domain
        self.selector = selector
        self.key = key
    }

    /// The DKIM-Signature field to put above the message: LF line ends, folded at 78
    /// columns, ending in LF. `timestamp` is t= (seconds since 1970).
    public func signatureField(for message: ScannedMessage, timestamp: Int) throws -> String { fatalError("contract") }
}
