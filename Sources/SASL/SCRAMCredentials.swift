import Crypto
import ProtocolSupport
import _CryptoExtras

/// What the server keeps for SCRAM-SHA-256 (RFC 5802 §3, RFC 7677): salt, iteration count,
/// StoredKey = H(ClientKey) and ServerKey. Never SaltedPassword or ClientKey, which log in as
/// the user.
public struct SCRAMCredentials: Sendable, Equatable {
    /// RFC 7677 §4 asks for at least 4096.
    public static let minimumIterations = 4096
    /// Above the minimum: the stored keys allow an offline guess per `iterations` HMACs.
    public static let defaultIterations = 10_000
    /// Bounds what a stored record (or a damaged database) can make the server compute.
    static let maximumIterations = 10_000_000

    public var salt: [UInt8]
    public var iterations: Int
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]

    public init(salt: [UInt8], iterations: Int, storedKey: [UInt8], serverKey: [UInt8]) {
        self.salt = salt
        self.iterations = iterations
        self.storedKey = storedKey
        self.serverKey = serverKey
    }

    /// SASLprep (RFC 4013) then Hi() (PBKDF2-HMAC-SHA-256, RFC 5802 §2.2); nil when the
    /// password is not valid under SASLprep or the parameters are out of bounds.
    public static func derive(password: String, salt: [UInt8], iterations: Int) -> SCRAMCredentials? {
        guard let prepared = SASLprep.prepare(password), !salt.isEmpty,
              (1...maximumIterations).contains(iterations) else { return nil }
        guard let salted = try? KDF.Insecure.PBKDF2.deriveKey(
            from: Array(prepared.utf8), salt: salt, using: .sha256, outputByteCount: 32,
            unsafeUncheckedRounds: iterations) else { return nil }
        let clientKey = Array(HMAC<SHA256>.authenticationCode(for: Array("Client Key".utf8), using: salted))
        let serverKey = Array(HMAC<SHA256>.authenticationCode(for: Array("Server Key".utf8), using: salted))
        return SCRAMCredentials(salt: salt, iterations: iterations, storedKey: Array(SHA256.hash(data: clientKey)),
                                serverKey: serverKey)
    }

    /// A fresh random 16-octet salt and `defaultIterations`.
    public static func make(password: String) -> SCRAMCredentials? {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return derive(password: password, salt: salt, iterations: defaultIterations)
    }

    private static let scheme = "SCRAM-SHA-256"

    /// Text for storage: `SCRAM-SHA-256$<iterations>$<base64 salt>$<base64 StoredKey>$<base64 ServerKey>`.
    public var encoded: String {
        [Self.scheme, String(iterations), Base64.encode(salt), Base64.encode(storedKey), Base64.encode(serverKey)]
            .joined(separator: "$")
    }

    public init?(encoded: String) {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0] == Self.scheme, let iterations = Int(fields[1]),
              (1...Self.maximumIterations).contains(iterations),
              let salt = Base64.decode(Array(fields[2].utf8)), !salt.isEmpty,
              let storedKey = Base64.decode(Array(fields[3].utf8)), storedKey.count == 32,
              let serverKey = Base64.decode(Array(fields[4].utf8)), serverKey.count == 32 else { return nil }
        self.init(salt: salt, iterations: iterations, storedKey: storedKey, serverKey: serverKey)
    }
}
