import ProtocolSupport

/// Bounds on what a client can make an exchange hold or compute.
public enum SASLLimits {
    /// A decoded response. The longest legitimate one, a SCRAM client-first with a 255-octet
    /// name, is far shorter; RFC 4954 §4 lets servers limit the line.
    public static let maximumResponseOctets = 4096
    /// User names and passwords (RFC 4616 §2 allows 255 octets for PLAIN's).
    public static let maximumNameOctets = 255
    /// The base64 text of a `maximumResponseOctets` response.
    static let maximumEncodedOctets = (maximumResponseOctets + 2) / 3 * 4
    /// Random characters the server adds to the client's nonce (RFC 5802 §5.1 asks for
    /// enough to be unpredictable; 24 of 64 is 144 bits).
    static let serverNonceLength = 24
}

/// One client response, decoded: `*` cancels (RFC 4422 §3.5), otherwise base64 (RFC 4954 §4).
enum SASLResponse {
    static func decode(_ line: [UInt8]) -> Result<[UInt8], SASLFailure> {
        if line == [UInt8(ascii: "*")] { return .failure(.cancelled) }
        guard line.count <= SASLLimits.maximumEncodedOctets else { return .failure(.malformed) }
        guard let decoded = Base64.decode(line) else { return .failure(.notBase64) }
        return .success(decoded)
    }
}

