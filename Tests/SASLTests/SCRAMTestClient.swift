import Crypto
import ProtocolSupport
import _CryptoExtras
@testable import SASL

/// The client side of RFC 5802 §3, written from the RFC for the tests: it computes proofs
/// for messages the scramp transcripts do not cover (the `y` flag, `a=`, extensions).
struct SCRAMTestClient {
    var password: String

    /// ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage).
    func proof(salt: [UInt8], iterations: Int, authMessage: String) -> [UInt8] {
        let salted = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(SASLprep.prepare(password)!.utf8), salt: salt, using: .sha256, outputByteCount: 32,
            unsafeUncheckedRounds: iterations)
        let clientKey = Array(HMAC<SHA256>.authenticationCode(for: Array("Client Key".utf8), using: salted))
        let storedKey = Array(SHA256.hash(data: clientKey))
        let signature = HMAC<SHA256>.authenticationCode(for: Array(authMessage.utf8), using: SymmetricKey(data: storedKey))
        return zip(clientKey, signature).map { $0 ^ $1 }
    }
}

func b64(_ text: String) -> [UInt8] { Array(Base64.encode(Array(text.utf8)).utf8) }
func b64(_ bytes: [UInt8]) -> [UInt8] { Array(Base64.encode(bytes).utf8) }
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
