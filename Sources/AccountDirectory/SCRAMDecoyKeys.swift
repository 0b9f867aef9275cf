import Crypto
import SASL

/// Made-up SCRAM-SHA-256 keys for a name that has none: an unknown user, an alias, or a user
/// whose password was set before SCRAM keys were stored.
///
/// RFC 5802 §5.1 lets the server go on with a made-up salt and iteration count for an unknown
/// user, so the first server message does not tell who exists. These keys are HMACs of a
/// per-directory random secret, so they are stable per name (a second try sees the same salt,
/// as for a real user), differ between names, have the shape of real ones (a 16-octet salt,
/// the default iteration count) and cost no PBKDF2. Nobody knows a password that gives them,
/// and the caller also refuses the proof because the lookup carries no mailbox.
struct SCRAMDecoyKeys {
    /// Octets of the secret stored by the v2 migration.
    static let secretLength = 32
    /// Same as `SCRAMCredentials.make`, so a made-up salt looks like a real one.
    static let saltLength = 16

    let secret: SymmetricKey

    init(secret: [UInt8]) {
        self.secret = SymmetricKey(data: secret)
    }

    /// For the v2 migration: a new directory gets a secret nobody else has.
    static func randomSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<secretLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `name` as the client sent it; lowercased, like every lookup, so "Bob@x" and "bob@x" get
    /// the same keys as they would get the same real ones.
    func credentials(for name: String) -> SCRAMCredentials {
        let name = name.lowercased()
        return SCRAMCredentials(
            salt: Array(mac("salt:" + name).prefix(Self.saltLength)),
            iterations: SCRAMCredentials.defaultIterations,
            storedKey: mac("stored:" + name),
            serverKey: mac("server:" + name))
    }

    private func mac(_ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: secret))
    }
}
