/// What the server keeps for SCRAM-SHA-256 (RFC 5802 §3, RFC 7677): salt, iteration count,
/// StoredKey = H(ClientKey) and ServerKey. Never SaltedPassword or ClientKey, which log in as
/// the user.
public struct SCRAMCredentials: Sendable, Equatable {
    /// RFC 7677 §4 asks for at least 4096.
    public static let minimumIterations = 4096
    public static let defaultIterations = 10_000

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

    /// SASLprep (RFC 4013) then PBKDF2-HMAC-SHA-256 (Hi() of RFC 5802); nil when the password
    /// is not valid under SASLprep.
    public static func derive(password: String, salt: [UInt8], iterations: Int) -> SCRAMCredentials? {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }

    /// A fresh random 16-octet salt and `defaultIterations`.
    public static func make(password: String) -> SCRAMCredentials? {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }

    /// Text for storage: `SCRAM-SHA-256$<iterations>$<base64 salt>$<base64 StoredKey>$<base64 ServerKey>`.
    public var encoded: String {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }

    public init?(encoded: String) {
        // CONTRACT (helper "sasl"): implement.
        fatalError("unimplemented")
    }
}
