/// Reads the cipher suite out of a TLS ServerHello (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3), which
/// travels unencrypted in every TLS version. NIOSSL does not expose the negotiated cipher, and
/// the Received header and the logs name it.
public enum TLSServerHello {
    /// The cipher suite code, when `bytes` start with a complete enough ServerHello record.
    public static func cipherSuite(in bytes: some Collection<UInt8>) -> UInt16? {
        let bytes = Array(bytes.prefix(512))
        // record: type 22 (handshake), version, length; handshake: type 2 (server_hello), length
        guard bytes.count > 44, bytes[0] == 22, bytes[5] == 2 else { return nil }
        let sessionIDLength = Int(bytes[43])  // after legacy_version (2) and random (32)
        let offset = 44 + sessionIDLength
        guard sessionIDLength <= 32, bytes.count >= offset + 2 else { return nil }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// IANA names of the suites Tsubame offers; others by number.
    public static func name(ofCipherSuite code: UInt16) -> String {
        switch code {
        case 0x1301: return "TLS_AES_128_GCM_SHA256"
        case 0x1302: return "TLS_AES_256_GCM_SHA384"
        case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256"
        case 0xC02B: return "ECDHE-ECDSA-AES128-GCM-SHA256"
        case 0xC02C: return "ECDHE-ECDSA-AES256-GCM-SHA384"
        case 0xC02F: return "ECDHE-RSA-AES128-GCM-SHA256"
        case 0xC030: return "ECDHE-RSA-AES256-GCM-SHA384"
        case 0xCCA8: return "ECDHE-RSA-CHACHA20-POLY1305"
        case 0xCCA9: return "ECDHE-ECDSA-CHACHA20-POLY1305"
        default: return "0x" + String(code, radix: 16, uppercase: true)
        }
    }
}
