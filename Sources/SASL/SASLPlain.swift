import ProtocolSupport

/// SASL PLAIN (RFC 4616): "[authzid] NUL authcid NUL passwd", base64-encoded on the wire.
/// Shared by POP3 AUTH (RFC 5034) and, later, SMTP AUTH (RFC 4954).
public struct SASLPlainCredentials: Sendable, Equatable {
    public var authorizationIdentity: String?
    public var authenticationIdentity: String
    public var password: String

    public init(authorizationIdentity: String?, authenticationIdentity: String, password: String) {
        self.authorizationIdentity = authorizationIdentity
        self.authenticationIdentity = authenticationIdentity
        self.password = password
    }

    public enum ParseError: Error, Equatable {
        case notBase64
        case malformed
    }

    /// Parses a client response (the base64 text). RFC 4616 §2: authcid and passwd are
    /// non-empty UTF-8 without NUL, each at most 255 octets.
    public static func parse(base64 text: some Collection<UInt8>) -> Result<SASLPlainCredentials, ParseError> {
        guard let decoded = Base64.decode(text) else { return .failure(.notBase64) }
        return parse(decoded: decoded)
    }

    /// Parses a response already decoded from base64.
    public static func parse(decoded: [UInt8]) -> Result<SASLPlainCredentials, ParseError> {
        let parts = decoded.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty, !parts[2].contains(0), parts[1].count <= 255, parts[2].count <= 255,
              let authzid = String(validating: parts[0], as: UTF8.self),
              let authcid = String(validating: parts[1], as: UTF8.self),
              let password = String(validating: parts[2], as: UTF8.self) else {
            return .failure(.malformed)
        }
        return .success(SASLPlainCredentials(
            authorizationIdentity: authzid.isEmpty ? nil : authzid, authenticationIdentity: authcid, password: password))
    }
}
