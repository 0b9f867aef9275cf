/// The SASL mechanisms Tsubame offers (RFC 4422), in the order they are advertised.
public enum SASLMechanism: String, Sendable, CaseIterable {
    /// RFC 7677. Never `-PLUS`: swift-nio-ssl offers no channel binding.
    case scramSHA256 = "SCRAM-SHA-256"
    /// RFC 4616.
    case plain = "PLAIN"
    /// draft-murchison-sasl-login; Outlook and many devices need it.
    case login = "LOGIN"

    /// Mechanism names compare ASCII-case-insensitively (RFC 4422 §3.1); nil for any other name.
    public init?(name: some StringProtocol) {
        // ASCII only: Unicode case mapping would read "ſCRAM" (U+017F) or "LOGİN" as a name.
        let folded = String(decoding: name.utf8.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
        guard let mechanism = Self(rawValue: folded) else { return nil }
        self = mechanism
    }

    /// PLAIN and LOGIN carry the password itself: offered only over TLS or where plaintext
    /// passwords are allowed (loopback, as configured). SCRAM never reveals the password, but
    /// Tsubame offers it under the same rule, as Dovecot does with disable_plaintext_auth.
    public var revealsPassword: Bool { self != .scramSHA256 }
}
