import Crypto

/// The server's checks of RFC 5802 §3, over the stored keys only.
enum SCRAMVerification {
    /// ClientSignature = HMAC(StoredKey, AuthMessage); ClientKey = ClientProof XOR
    /// ClientSignature; the proof is right when H(ClientKey) == StoredKey.
    static func verify(proof: [UInt8], authMessage: [UInt8], credentials: SCRAMCredentials) -> Bool {
        guard proof.count == SHA256.byteCount, credentials.storedKey.count == SHA256.byteCount else { return false }
        let signature = Array(HMAC<SHA256>.authenticationCode(for: authMessage, using: SymmetricKey(data: credentials.storedKey)))
        let clientKey = zip(proof, signature).map { $0 ^ $1 }
        return constantTimeEqual(Array(SHA256.hash(data: clientKey)), credentials.storedKey)
    }

    /// ServerSignature = HMAC(ServerKey, AuthMessage), sent as "v=" in the server-final.
    static func serverSignature(authMessage: [UInt8], credentials: SCRAMCredentials) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: authMessage, using: SymmetricKey(data: credentials.serverKey)))
    }

    /// Compares without an early exit, so the time taken says nothing about where they differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
