import Crypto
import Foundation
import _CryptoExtras

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

/// Why a key could not be made or read.
public enum DKIMKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case notPEM
    case unreadable(String)
    case rsaKeyTooSmall(bits: Int)
    case signingFailed(String)

    public var description: String {
        switch self {
        case .notPEM: "not a PEM private key"
        case .unreadable(let reason): "unreadable private key: \(reason)"
        case .rsaKeyTooSmall(let bits): "RSA key of \(bits) bits: signing keys need 2048 bits or more"
        case .signingFailed(let reason): "signing failed: \(reason)"
        }
    }
}

/// A private key for signing, as stored under the data folder (PEM, mode 0600).
public struct DKIMPrivateKey: Sendable {
    enum Backing: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        /// The 32-octet seed: swift-crypto's Curve25519 keys are not Sendable, so the key is
        /// remade from it where it is used (cheap next to a signature).
        case ed25519(seed: [UInt8])
    }

    let backing: Backing

    init(backing: Backing) {
        self.backing = backing
    }

    public var algorithm: DKIMAlgorithm {
        switch backing {
        case .rsa: .rsaSHA256
        case .ed25519: .ed25519SHA256
        }
    }

    /// RSA modulus size; nil for Ed25519.
    public var bitCount: Int? {
        switch backing {
        case .rsa(let key): key.keySizeInBits
        case .ed25519: nil
        }
    }

    public static func generate(_ kind: DKIMKeyKind) throws -> DKIMPrivateKey {
        switch kind {
        case .rsa2048: DKIMPrivateKey(backing: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
        case .rsa3072: DKIMPrivateKey(backing: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits3072)))
        case .ed25519: DKIMPrivateKey(backing: .ed25519(seed: Array(Curve25519.Signing.PrivateKey().rawRepresentation)))
        }
    }

    /// PKCS #8 ("PRIVATE KEY") for both kinds; "RSA PRIVATE KEY" (PKCS #1) read too.
    /// Throws for RSA below 2048 bits and anything else unreadable.
    public init(pemRepresentation: String) throws {
        guard let document = PEMBlock(pemRepresentation) else { throw DKIMKeyError.notPEM }
        if document.label == "PRIVATE KEY", let raw = Ed25519PKCS8.seed(from: document.der) {
            backing = .ed25519(seed: raw)
            return
        }
        guard document.label == "PRIVATE KEY" || document.label == "RSA PRIVATE KEY" else {
            throw DKIMKeyError.unreadable("a PEM \"\(document.label)\" block is not a private key")
        }
        // The unsafe reader accepts 1024 bits and up, so that a small key is refused with a
        // message that says so rather than a generic size error.
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(unsafePEMRepresentation: pemRepresentation)
        } catch {
            throw DKIMKeyError.unreadable("\(error)")
        }
        guard key.keySizeInBits >= 2048 else { throw DKIMKeyError.rsaKeyTooSmall(bits: key.keySizeInBits) }
        backing = .rsa(key)
    }

    public var pemRepresentation: String {
        switch backing {
        case .rsa(let key): key.pkcs8PEMRepresentation
        case .ed25519(let seed): PEMBlock.encode(label: "PRIVATE KEY", der: Ed25519PKCS8.prefix + seed)
        }
    }

    /// The TXT data to publish at SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.1):
    /// "v=DKIM1; k=rsa; p=BASE64(SPKI DER)" or "v=DKIM1; k=ed25519; p=BASE64(raw 32 bytes)".
    public var publicKeyRecord: String {
        switch backing {
        case .rsa(let key):
            "v=DKIM1; k=rsa; p=\(key.publicKey.derRepresentation.base64EncodedString())"
        case .ed25519(let seed):
            // RFC 8463 §4.2: the raw 32-octet public key, not an SPKI structure.
            "v=DKIM1; k=ed25519; p=\(Self.ed25519Key(seed).publicKey.rawRepresentation.base64EncodedString())"
        }
    }

    /// Signs the canonicalized header data (RFC 6376 §3.7). rsa-sha256 is RSASSA-PKCS1-v1_5
    /// over SHA-256 (RFC 6376 §3.3.1; swift-crypto's default is PSS, which no verifier
    /// accepts); ed25519-sha256 signs the SHA-256 digest of the data, not the data itself
    /// (RFC 8463 §3).
    func sign(_ data: [UInt8]) throws -> [UInt8] {
        do {
            switch backing {
            case .rsa(let key):
                return Array(try key.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation)
            case .ed25519(let seed):
                return Array(try Self.ed25519Key(seed).signature(for: Array(SHA256.hash(data: data))))
            }
        } catch {
            throw DKIMKeyError.signingFailed("\(error)")
        }
    }
}

extension DKIMPrivateKey {
    /// A 32-octet seed always makes a key (RFC 8032 §5.1.5): the seeds here are checked when read.
    static func ed25519Key(_ seed: [UInt8]) -> Curve25519.Signing.PrivateKey {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            preconditionFailure("a 32-octet Ed25519 seed")
        }
        return key
    }
}

/// Ed25519 private keys in PKCS #8 (RFC 8410 §7): a fixed 16-octet prefix (version 0, the
/// id-Ed25519 algorithm, an OCTET STRING wrapping an OCTET STRING) and the 32-octet seed.
/// What OpenSSL's `genpkey -algorithm ed25519` writes.
enum Ed25519PKCS8 {
    static let prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    static func seed(from der: [UInt8]) -> [UInt8]? {
        guard der.count == prefix.count + 32, der.starts(with: prefix) else { return nil }
        return Array(der[prefix.count...])
    }
}

/// One PEM block (RFC 7468): its label and its DER octets.
struct PEMBlock {
    let label: String
    let der: [UInt8]

    init?(_ text: String) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else { return nil }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[begin...].firstIndex(of: "-----END \(label)-----"), end > begin else { return nil }
        let body = lines[(begin + 1)..<end].joined()
        guard let der = Data(base64Encoded: body), !der.isEmpty else { return nil }
        self.label = label
        self.der = Array(der)
    }

    static func encode(label: String, der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----"
    }
}
