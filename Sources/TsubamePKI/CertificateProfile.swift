import Crypto
import Foundation
import X509

/// How long certificates live, and the limits Tsubame holds to.
public enum CertificateValidity {
    /// The private CA: ten years, so users install it once.
    public static let defaultCADays = 3650
    public static let maximumCADays = 36_500
    /// Server certificates: at most 397 days. The CA/Browser Forum Baseline Requirements
    /// (§6.3.2) cap public server certificates at 398 days; 397 keeps a day of margin, and
    /// a short life bounds the damage of a stolen key.
    public static let maximumServerDays = 397
    public static let defaultServerDays = 397
    /// notBefore is set this far in the past so a client whose clock runs a little slow
    /// does not see a "not yet valid" certificate.
    public static let backdating: TimeInterval = 5 * 60

    static func checkServerDays(_ days: Int) throws {
        guard days >= 1 else { throw PKIError.invalidRequest("--days must be at least 1 (got \(days))") }
        guard days <= maximumServerDays else {
            throw PKIError.invalidRequest(
                "a server certificate may be valid for at most \(maximumServerDays) days (asked for \(days)): the CA/Browser Forum caps server certificates at 398 days and clients increasingly refuse longer ones; a short life also limits what a stolen key is worth. Renew with `tsubame cert issue` before it expires.")
        }
    }

    static func checkCADays(_ days: Int) throws {
        guard (1...maximumCADays).contains(days) else {
            throw PKIError.invalidRequest("a CA's --days must be between 1 and \(maximumCADays) (got \(days))")
        }
    }

    /// notBefore = now - 5 minutes; notAfter = notBefore + days - 1 second, so the validity
    /// period, counted inclusively as RFC 5280 §4.1.2.5 and the Baseline Requirements do, is
    /// exactly `days` days.
    static func window(days: Int, now: Date) -> (notBefore: Date, notAfter: Date) {
        let notBefore = now.addingTimeInterval(-backdating)
        return (notBefore, notBefore.addingTimeInterval(TimeInterval(days) * 86_400 - 1))
    }
}

/// The fields every Tsubame certificate shares.
enum CertificateProfile {
    /// 16 random bytes from the system CSPRNG, top bit cleared (a positive INTEGER) and the
    /// next bit set (so the encoding keeps all 16 bytes): 126 random bits, well over the 64 the
    /// Baseline Requirements (§7.1) ask for.
    static func randomSerialNumber() -> Certificate.SerialNumber {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = (bytes[0] & 0x7F) | 0x40
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 hash of the subjectPublicKey
    /// BIT STRING value. (RFC 5280's method uses SHA-1; Tsubame uses no SHA-1 anywhere.)
    static func keyIdentifier(for publicKey: Certificate.PublicKey) -> ArraySlice<UInt8> {
        ArraySlice(SHA256.hash(data: Array(publicKey.subjectPublicKeyInfoBytes)).prefix(20))
    }

    static func name(commonName: String) throws -> DistinguishedName {
        try DistinguishedName { CommonName(commonName) }
    }

    /// A private root CA (RFC 5280 §4.2.1.9, §4.2.1.3): it may sign end-entity certificates only.
    static func caExtensions(publicKey: Certificate.PublicKey) throws -> Certificate.Extensions {
        try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(keyIdentifier: keyIdentifier(for: publicKey))
        }
    }

    /// A TLS server certificate. keyEncipherment only for RSA, where TLS 1.2's RSA key exchange
    /// uses it (RFC 5246 §7.4.2); ECDSA keys only sign. With `crlURL`, a CRL Distribution Points
    /// extension naming it (RFC 5280 §4.2.1.13).
    static func serverExtensions(
        identity: ServerIdentity, publicKey: Certificate.PublicKey, isRSA: Bool, authorityKeyIdentifier: ArraySlice<UInt8>?,
        crlURL: String? = nil
    ) throws -> Certificate.Extensions {
        let usage = try ExtendedKeyUsage([.serverAuth])
        let subjectKeyIdentifier = SubjectKeyIdentifier(keyIdentifier: keyIdentifier(for: publicKey))
        var extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: isRSA))
            usage
            identity.subjectAlternativeNames
            subjectKeyIdentifier
        }
        if let authorityKeyIdentifier {
            try extensions.append(AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier).makeCertificateExtension())
        }
        if let crlURL, !crlURL.isEmpty {
            try extensions.append(CRLDistributionPoints.makeExtension(url: crlURL))
        }
        return extensions
    }

    static func sign(
        publicKey: Certificate.PublicKey, subject: DistinguishedName, issuer: DistinguishedName,
        window: (notBefore: Date, notAfter: Date), extensions: Certificate.Extensions, issuerKey: SigningKey
    ) throws -> Certificate {
        do {
            return try Certificate(
                version: .v3,
                serialNumber: randomSerialNumber(),
                publicKey: publicKey,
                notValidBefore: window.notBefore,
                notValidAfter: window.notAfter,
                issuer: issuer,
                subject: subject,
                signatureAlgorithm: issuerKey.signatureAlgorithm,
                extensions: extensions,
                issuerPrivateKey: issuerKey.certificateKey)
        } catch {
            throw PKIError.invalidMaterial("cannot sign the certificate: \(error)")
        }
    }
}
