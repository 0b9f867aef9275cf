import Crypto
import _CryptoExtras
import SwiftASN1
import X509

/// A private key Tsubame made or loaded, already judged strong enough.
///
/// Its description and mirror name the algorithm only, so printing or logging a value that
/// holds one never reveals the key.
public struct SigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let certificateKey: Certificate.PrivateKey
    let algorithm: KeyAlgorithm
    /// The PEM text (PKCS#8 "BEGIN PRIVATE KEY" for keys made here), for a 0600 file and nothing else.
    let pem: String

    /// Makes a new key from the system's secure random source.
    public static func generate(_ type: KeyType) throws -> SigningKey {
        switch type {
        case .ecdsaP256:
            let key = P256.Signing.PrivateKey()
            return SigningKey(certificateKey: Certificate.PrivateKey(key), algorithm: .p256, pem: key.pemRepresentation)
        case .ecdsaP384:
            let key = P384.Signing.PrivateKey()
            return SigningKey(certificateKey: Certificate.PrivateKey(key), algorithm: .p384, pem: key.pemRepresentation)
        case .rsa2048, .rsa3072, .rsa4096:
            guard let size = type.rsaKeySize else { preconditionFailure("RSA key type without a size") }
            let key: _RSA.Signing.PrivateKey
            do {
                key = try _RSA.Signing.PrivateKey(keySize: size)
            } catch {
                throw PKIError(.invalidMaterial, "cannot generate a \(type.rawValue) key: \(error)")
            }
            return SigningKey(certificateKey: Certificate.PrivateKey(key), algorithm: KeyAlgorithm(type),
                              pem: key.pkcs8PEMRepresentation)
        }
    }

    /// Reads a PEM private key, refusing weak and unsupported ones with the reason.
    /// `what` names the source in error messages (usually the file path).
    public init(pemEncoded text: String, what: String = "the private key") throws {
        let documents = try PEMFiles.pemDocuments(text, what: what, expected: "...")
        guard documents.count == 1, let document = documents.first else {
            throw PKIError.invalidMaterial("\(what) must hold exactly one PEM block (found \(documents.count))")
        }
        let (key, algorithm) = try StrengthPolicy.loadPrivateKey(document, what: what)
        self.init(certificateKey: key, algorithm: algorithm, pem: document.pemString)
    }

    init(certificateKey: Certificate.PrivateKey, algorithm: KeyAlgorithm, pem: String) {
        self.certificateKey = certificateKey
        self.algorithm = algorithm
        self.pem = pem
    }

    /// The matching `KeyType`, or nil for a loaded RSA key of another size (e.g. 8192 bits).
    public var keyType: KeyType? { algorithm.keyType }

    public var publicKey: Certificate.PublicKey { certificateKey.publicKey }

    /// The algorithm this key signs certificates with (SHA-256, or SHA-384 for P-384).
    public var signatureAlgorithm: Certificate.SignatureAlgorithm { algorithm.signatureAlgorithm }

    /// A signature over `bytes` with `signatureAlgorithm`, as it goes in a BIT STRING: ECDSA as a
    /// DER Ecdsa-Sig-Value (RFC 3279 §2.2.3), RSA PKCS#1 v1.5 as the raw octets.
    /// For structures swift-certificates does not sign itself, such as CRLs.
    func signature(over bytes: [UInt8]) throws -> [UInt8] {
        do {
            return try certificateKey.sign(bytes: bytes, signatureAlgorithm: signatureAlgorithm).rawRepresentation
        } catch {
            throw PKIError.invalidMaterial("cannot sign with the \(algorithm) key: \(error)")
        }
    }

    public var description: String { "\(algorithm) private key" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["algorithm": algorithm.description]) }
}
