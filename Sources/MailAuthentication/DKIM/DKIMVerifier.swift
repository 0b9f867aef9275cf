// CONTRACT (helper DKIM fills in; public signatures stay).

/// One signature's outcome (RFC 6376 §6, RFC 8601 §2.7.1).
public struct DKIMVerification: Sendable, Equatable {
    public enum Result: String, Sendable {
        case pass, fail, neutral, policy, temperror, permerror
    }

    public var result: Result
    /// d= (lower-cased) and s=, as the signature says; empty when unreadable.
    public var domain: String
    public var selector: String
    /// a=
    public var algorithm: String
    /// i=, when given.
    public var identity: String?
    /// l=, when given: tolerated, but reported (a "body length" in the reason).
    public var bodyLength: Int?
    /// The first 8 characters of b= (RFC 6008 header.b), to tell signatures of one domain apart.
    public var signaturePrefix: String
    /// Why it is not a pass ("body hash did not verify", "key revoked", "key too small"...),
    /// or a note on a pass ("l= covers 120 of 300 body octets").
    public var reason: String?

    public init(result: Result, domain: String, selector: String, algorithm: String, identity: String? = nil,
                bodyLength: Int? = nil, signaturePrefix: String = "", reason: String? = nil) {
        self.result = result
        self.domain = domain
        self.selector = selector
        self.algorithm = algorithm
        self.identity = identity
        self.bodyLength = bodyLength
        self.signaturePrefix = signaturePrefix
        self.reason = reason
    }
}

/// Verifies every DKIM-Signature the scanner kept (RFC 6376 §6): tags, key record (t=y/s,
/// h=, k=, s=, p= empty = revoked; SPKI or PKCS #1 RSA, 1024-4096 bits; Ed25519 raw key),
/// header hash, body hash, signature, x= expiry.
public struct DKIMVerifier: Sendable {
    public init(dns: any MailAuthDNS) { fatalError("contract") }

    /// One result per signature, in header order; empty when the message has none.
    /// `now` is seconds since 1970 (x= and t= checks).
    public func verify(_ message: ScannedMessage, now: Int) async -> [DKIMVerification] { fatalError("contract") }
}
