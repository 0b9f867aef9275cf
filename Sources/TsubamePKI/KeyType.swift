import _CryptoExtras

/// The key types Tsubame creates. A key signs with SHA-256 (P-256, RSA) or SHA-384 (P-384,
/// the hash matched to the curve's strength, RFC 5480 §4); see `KeyAlgorithm`.
public enum KeyType: String, CaseIterable, Sendable {
    case ecdsaP256 = "ecdsa-p256"
    case ecdsaP384 = "ecdsa-p384"
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case rsa4096 = "rsa-4096"

    /// The default for new keys: small, fast, and accepted by every current mail client.
    public static let `default` = KeyType.ecdsaP256

    /// Parses a `--key` value, explaining the choices when it is not one of them.
    public init(parsing text: String) throws {
        let lowered = text.lowercased()
        if let type = KeyType(rawValue: lowered) {
            self = type
            return
        }
        if lowered.hasPrefix("rsa-"), let bits = Int(lowered.dropFirst(4)), bits < StrengthPolicy.minimumRSABits {
            throw PKIError.weakKey(StrengthPolicy.weakRSAReason(bits: bits))
        }
        throw PKIError.invalidRequest(
            "unknown key type \"\(text)\"; choose one of \(KeyType.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    public var isRSA: Bool {
        switch self {
        case .rsa2048, .rsa3072, .rsa4096: return true
        case .ecdsaP256, .ecdsaP384: return false
        }
    }

    var rsaKeySize: _RSA.Signing.KeySize? {
        switch self {
        case .rsa2048: return .bits2048
        case .rsa3072: return .bits3072
        case .rsa4096: return .bits4096
        case .ecdsaP256, .ecdsaP384: return nil
        }
    }
}
