import Crypto
import _CryptoExtras
import SwiftASN1
import X509

/// The algorithms a Tsubame key signs with: ECDSA P-256 or P-384, or RSA of 2048 bits or more.
enum KeyAlgorithm: Equatable, Sendable, CustomStringConvertible {
    case p256
    case p384
    case rsa(bits: Int)

    init(_ type: KeyType) {
        switch type {
        case .ecdsaP256: self = .p256
        case .ecdsaP384: self = .p384
        case .rsa2048: self = .rsa(bits: 2048)
        case .rsa3072: self = .rsa(bits: 3072)
        case .rsa4096: self = .rsa(bits: 4096)
        }
    }

    /// Classifies a parsed public key; anything but P-256, P-384 and RSA is refused.
    init(_ publicKey: Certificate.PublicKey, what: String) throws {
        if P256.Signing.PublicKey(publicKey) != nil {
            self = .p256
        } else if P384.Signing.PublicKey(publicKey) != nil {
            self = .p384
        } else if let rsa = _RSA.Signing.PublicKey(publicKey) {
            guard rsa.keySizeInBits >= StrengthPolicy.minimumRSABits else {
                throw PKIError.weakKey(StrengthPolicy.weakRSAReason(bits: rsa.keySizeInBits, what: what))
            }
            self = .rsa(bits: rsa.keySizeInBits)
        } else {
            throw PKIError.unsupported(
                "\(what) has a \(publicKey) key; Tsubame signs only with ECDSA P-256, ECDSA P-384 or RSA (2048 bits or more)")
        }
    }

    var keyType: KeyType? {
        switch self {
        case .p256: return .ecdsaP256
        case .p384: return .ecdsaP384
        case .rsa(let bits): return KeyType(rawValue: "rsa-\(bits)")
        }
    }

    /// SHA-256 for P-256 and RSA, SHA-384 for P-384: never SHA-1 or MD5.
    var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch self {
        case .p256: return .ecdsaWithSHA256
        case .p384: return .ecdsaWithSHA384
        case .rsa: return .sha256WithRSAEncryption
        }
    }

    var description: String {
        switch self {
        case .p256: return "ECDSA P-256"
        case .p384: return "ECDSA P-384"
        case .rsa(let bits): return "RSA \(bits)-bit"
        }
    }
}

/// What Tsubame refuses, in everything it makes and everything it loads, and why.
enum StrengthPolicy {
    static let minimumRSABits = 2048

    static func weakRSAReason(bits: Int, what: String? = nil) -> String {
        let rule = what.map { "\($0) has a \(bits)-bit RSA key. RSA keys under 2048 bits are refused: " }
            ?? "RSA keys under 2048 bits are refused (asked for \(bits) bits): "
        return rule + "512- to 829-bit keys have been factored in public, "
            + "1024-bit keys are within reach of a well-funded attacker, and NIST has disallowed them since 2013 (SP 800-131A)."
    }

    static let md5Reason = "MD5 signatures are refused: MD5 collisions take seconds, and one was used to forge a CA certificate in 2008."
    static let sha1Reason = "SHA-1 signatures are refused: SHA-1 collisions are practical (SHAttered 2017, "
        + "chosen-prefix 2020), so a SHA-1 signed certificate can be forged."

    // RFC 8017 A.2.4, RFC 3279 §2.2, RFC 5758 §3.2.
    private static let brokenMD: [ASN1ObjectIdentifier: String] = [
        [1, 2, 840, 113549, 1, 1, 2]: "md2WithRSAEncryption",
        [1, 2, 840, 113549, 1, 1, 3]: "md4WithRSAEncryption",
        [1, 2, 840, 113549, 1, 1, 4]: "md5WithRSAEncryption",
    ]
    private static let brokenSHA1: [ASN1ObjectIdentifier: String] = [
        [1, 2, 840, 113549, 1, 1, 5]: "sha1WithRSAEncryption",
        [1, 3, 14, 3, 2, 29]: "sha1WithRSASignature",
        [1, 2, 840, 10045, 4, 1]: "ecdsa-with-SHA1",
        [1, 2, 840, 10040, 4, 3]: "dsa-with-sha1",
    ]
    private static let accepted: Set<ASN1ObjectIdentifier> = [
        [1, 2, 840, 10045, 4, 3, 2], [1, 2, 840, 10045, 4, 3, 3], [1, 2, 840, 10045, 4, 3, 4],  // ecdsa-with-SHA256/384/512
        [1, 2, 840, 113549, 1, 1, 11], [1, 2, 840, 113549, 1, 1, 12], [1, 2, 840, 113549, 1, 1, 13],  // sha256/384/512WithRSA
        [1, 3, 101, 112],  // Ed25519
    ]

    private static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    private static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
    private static let dsa: ASN1ObjectIdentifier = [1, 2, 840, 10040, 4, 1]
    private static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
    private static let strongCurves: Set<ASN1ObjectIdentifier> = [
        [1, 2, 840, 10045, 3, 1, 7], [1, 3, 132, 0, 34], [1, 3, 132, 0, 35],  // P-256, P-384, P-521
    ]

    static func checkSignatureAlgorithm(_ oid: ASN1ObjectIdentifier, what: String) throws {
        if let name = brokenMD[oid] { throw PKIError.weakSignature("\(what) is signed with \(name). \(md5Reason)") }
        if let name = brokenSHA1[oid] { throw PKIError.weakSignature("\(what) is signed with \(name). \(sha1Reason)") }
        guard accepted.contains(oid) else {
            throw PKIError.unsupported(
                "\(what) is signed with algorithm \(oid); Tsubame accepts ECDSA or RSA PKCS#1 v1.5 with SHA-256, SHA-384 or SHA-512, and Ed25519")
        }
    }

    static func checkPublicKey(_ key: PublicKeyOutline, what: String) throws {
        switch key.algorithm {
        case rsaEncryption:
            let bits = try DEROutline.rsaModulusBits(key.keyBytes, isPrivate: false, what)
            if bits < minimumRSABits { throw PKIError.weakKey(weakRSAReason(bits: bits, what: what)) }
            try checkRSAPublicKeyNumbers(key.keyBytes, what: what)
        case ecPublicKey:
            guard let curve = key.curve, strongCurves.contains(curve) else {
                throw PKIError.weakKey("\(what) uses the elliptic curve \(key.curve.map { "\($0)" } ?? "(none)"); only P-256, P-384 and P-521 are accepted")
            }
        case ed25519:
            break
        case dsa:
            throw PKIError.weakKey("\(what) has a DSA key; DSA is refused (removed from TLS 1.3 and from FIPS 186-5)")
        default:
            throw PKIError.unsupported("\(what) has a public key of unknown algorithm \(key.algorithm)")
        }
    }

    /// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1), with
    /// numbers BoringSSL accepts. swift-crypto 3.12.3 frees the key twice, which aborts the process,
    /// when BoringSSL refuses the numbers in `_RSA.Signing.PublicKey(derRepresentation:)`; and
    /// swift-certificates calls that for every RSA certificate and CSR. `init(n:e:)` runs BoringSSL's
    /// same check and refuses cleanly, so it goes first. Found by FuzzPKIReaders.
    private static func checkRSAPublicKeyNumbers(_ der: ArraySlice<UInt8>, what: String) throws {
        let fields = try DEROutline.children(try DEROutline.parse(der, what), what)
        guard fields.count == 2 else { throw PKIError.invalidMaterial("\(what) is not a valid RSA key") }
        var numbers: [ArraySlice<UInt8>] = []
        for field in fields {
            guard field.identifier == .integer else { throw PKIError.invalidMaterial("\(what) is not a valid RSA key") }
            let bytes = try DEROutline.primitive(field, what)
            // Positive and minimally encoded (X.690 §8.3.2), as BoringSSL's parser requires.
            guard let first = bytes.first, first & 0x80 == 0,
                  first != 0 || bytes.count == 1 || bytes[bytes.startIndex + 1] & 0x80 != 0 else {
                throw PKIError.invalidMaterial("\(what) has an RSA key with a negative or badly encoded number")
            }
            numbers.append(bytes)
        }
        do {
            _ = try _RSA.Signing.PublicKey(n: numbers[0], e: numbers[1])
        } catch {
            throw PKIError.invalidMaterial("\(what) has an RSA public key that is not valid (its modulus or exponent is refused)")
        }
    }

    /// Parses one DER certificate after refusing broken hashes and weak keys, with the reason.
    static func loadCertificate(der: [UInt8], what: String) throws -> Certificate {
        let outline = try CertificateOutline(der: der, what: what)
        try checkSignatureAlgorithm(outline.signatureAlgorithm, what: what)
        try checkPublicKey(outline.publicKey, what: what)
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw PKIError.invalidMaterial("\(what) is not a valid X.509 certificate: \(error)")
        }
    }

    /// Parses a private key PEM block (PKCS#8, PKCS#1 RSA or SEC1 EC) after refusing weak keys.
    static func loadPrivateKey(_ document: PEMDocument, what: String) throws -> (Certificate.PrivateKey, KeyAlgorithm) {
        switch document.discriminator {
        case "RSA PRIVATE KEY":
            try checkRSAPrivateKey(document.derBytes[...], what: what)
        case "PRIVATE KEY":
            // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING } (RFC 5208 §5)
            let fields = try DEROutline.children(try DEROutline.parse(document.derBytes[...], what), what)
            guard fields.count >= 3 else { throw PKIError.invalidMaterial("\(what) is not a valid PKCS#8 private key") }
            let algorithm = try DEROutline.children(fields[1], what)
            guard let oid = algorithm.first else { throw PKIError.invalidMaterial("\(what) is not a valid PKCS#8 private key") }
            if try DEROutline.objectIdentifier(oid, what) == rsaEncryption {
                try checkRSAPrivateKey(try DEROutline.primitive(fields[2], what), what: what)
            }
        case "EC PRIVATE KEY":
            break
        case "ENCRYPTED PRIVATE KEY":
            throw PKIError.unsupported("\(what) is encrypted with a passphrase; Tsubame reads unencrypted keys (protected by mode 0600) only")
        default:
            throw PKIError.invalidMaterial("\(what) holds a \"\(document.discriminator)\" PEM block, not a private key")
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemDocument: document)
        } catch {
            // The error text of the parser never includes key material.
            throw PKIError.invalidMaterial("\(what) is not a private key Tsubame can read: \(error)")
        }
        return (key, try KeyAlgorithm(key.publicKey, what: what))
    }

    private static func checkRSAPrivateKey(_ der: ArraySlice<UInt8>, what: String) throws {
        let bits = try DEROutline.rsaModulusBits(der, isPrivate: true, what)
        if bits < minimumRSABits { throw PKIError.weakKey(weakRSAReason(bits: bits, what: what)) }
    }
}
