// CONTRACT (helper DKIM fills in the bodies; signatures stay).

/// What `tsubame dkim keygen --key` makes. RSA below 2048 bits is never made (RFC 8301 §3.2
/// allows 1024 for verifying only; the project's rule is 2048 and up).
public enum DKIMKeyKind: String, CaseIterable, Sendable {
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case ed25519
}

/// The signing algorithms: rsa-sha256 (RFC 6376 §3.3.1, PKCS #1 v1.5) and ed25519-sha256
/// (RFC 8463). rsa-sha1 is neither made nor accepted (RFC 8301 §3.1).
public enum DKIMAlgorithm: String, Sendable, Hashable {
    case rsaSHA256 = "rsa-sha256"
    case ed25519SHA256 = "ed25519-sha256"
}

/// A private key for signing, as stored under the data folder (PEM, mode 0600).
public struct DKIMPrivateKey: Sendable {
    public var algorithm: DKIMAlgorithm { fatalError("contract") }
    /// RSA modulus size; nil for Ed25519.
    public var bitCount: Int? { fatalError("contract") }

    public static func generate(_ kind: DKIMKeyKind) throws -> DKIMPrivateKey { fatalError("contract") }

    /// PKCS #8 ("PRIVATE KEY") for both kinds; "RSA PRIVATE KEY" (PKCS #1) read too.
    /// Throws for RSA below 2048 bits and anything else unreadable.
    public init(pemRepresentation: String) throws { fatalError("contract") }
    public var pemRepresentation: String { fatalError("contract") }

    /// The TXT data to publish at SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.1):
    /// "v=DKIM1; k=rsa; p=BASE64(SPKI DER)" or "v=DKIM1; k=ed25519; p=BASE64(raw 32 bytes)".
    public var publicKeyRecord: String { fatalError("contract") }
}
