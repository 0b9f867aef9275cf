import ProtocolSupport

/// The client's two SCRAM messages (RFC 5802 §7), parsed strictly. Attribute order is fixed
/// by the grammar; values never contain ',' (a name escapes it as "=2C"), so splitting on ','
/// gives the attributes.
struct SCRAMClientFirst: Sendable, Equatable {
    enum ChannelBinding: Sendable, Equatable {
        /// "n": the client does not support channel binding.
        case unsupported
        /// "y": the client supports it but thinks the server does not (true here).
        case supportedButNotUsed
        /// "p=name": the client requires it; Tsubame offers none (no -PLUS mechanism).
        case required
    }

    var channelBinding: ChannelBinding
    /// "n,," or "y,,", and "a=..." when present: echoed in the client-final's c= (RFC 5802 §5.1).
    var gs2Header: String
    /// The authorization identity, decoded; nil when absent.
    var authorizationIdentity: String?
    /// Decoded ("=2C" → ",", "=3D" → "=") and SASLprep'd (RFC 5802 §5.1).
    var username: String
    var clientNonce: String
    /// Everything after the GS2 header: the start of the AuthMessage (RFC 5802 §3).
    var bare: String

    /// client-first-message = gs2-header client-first-message-bare
    /// gs2-header = gs2-cbind-flag "," [ authzid ] ","
    /// client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    static func parse(_ message: String) -> SCRAMClientFirst? {
        let fields = message.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 4 else { return nil }
        let channelBinding: ChannelBinding
        switch fields[0] {
        case "n": channelBinding = .unsupported
        case "y": channelBinding = .supportedButNotUsed
        case let flag where flag.hasPrefix("p=") && isChannelBindingName(flag.dropFirst(2)):
            channelBinding = .required
        default: return nil
        }
        var authorizationIdentity: String?
        if !fields[1].isEmpty {
            guard fields[1].hasPrefix("a="), let decoded = decodeSASLName(fields[1].dropFirst(2)) else { return nil }
            authorizationIdentity = decoded
        }
        // "m=" announces a mandatory extension; none is defined, so it cannot be honoured (RFC 5802 §5.1).
        guard fields[2].hasPrefix("n="), let rawName = decodeSASLName(fields[2].dropFirst(2)),
              let username = SASLprep.prepare(rawName), !username.isEmpty,
              username.utf8.count <= SASLLimits.maximumNameOctets,
              fields[3].hasPrefix("r="), isNonce(fields[3].dropFirst(2)),
              fields[4...].allSatisfy(isExtension) else { return nil }
        return SCRAMClientFirst(
            channelBinding: channelBinding, gs2Header: fields[0] + "," + fields[1] + ",",
            authorizationIdentity: authorizationIdentity, username: username,
            clientNonce: String(fields[3].dropFirst(2)), bare: fields[2...].joined(separator: ","))
    }
}

struct SCRAMClientFinal: Sendable, Equatable {
    /// The decoded c= value.
    var channelBinding: [UInt8]
    var nonce: String
    var proof: [UInt8]
    /// client-final-message-without-proof, the end of the AuthMessage (RFC 5802 §3).
    var withoutProof: String

    /// client-final-message = channel-binding "," nonce ["," extensions] "," proof
    static func parse(_ message: String) -> SCRAMClientFinal? {
        let fields = message.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 3, let proofField = fields.last,
              fields[0].hasPrefix("c="), let channelBinding = Base64.decodeStrict(fields[0].dropFirst(2)),
              fields[1].hasPrefix("r="), isNonce(fields[1].dropFirst(2)),
              fields[2..<(fields.count - 1)].allSatisfy(isExtension),
              proofField.hasPrefix("p="), let proof = Base64.decodeStrict(proofField.dropFirst(2)), !proof.isEmpty
        else { return nil }
        return SCRAMClientFinal(channelBinding: channelBinding, nonce: String(fields[1].dropFirst(2)), proof: proof,
                                withoutProof: fields.dropLast().joined(separator: ","))
    }
}

/// saslname = 1*(value-safe-char / "=2C" / "=3D"); nil for a bare "=", NUL or an empty name.
func decodeSASLName(_ text: Substring) -> String? {
    guard !text.isEmpty, text.utf8.count <= SASLLimits.maximumNameOctets * 3 else { return nil }
    var decoded: [UInt8] = []
    var bytes = text.utf8[...]
    while let byte = bytes.popFirst() {
        guard byte != 0 else { return nil }
        guard byte == UInt8(ascii: "=") else { decoded.append(byte); continue }
        switch (bytes.popFirst(), bytes.popFirst()) {
        case (UInt8(ascii: "2"), UInt8(ascii: "C")): decoded.append(UInt8(ascii: ","))
        case (UInt8(ascii: "3"), UInt8(ascii: "D")): decoded.append(UInt8(ascii: "="))
        default: return nil
        }
    }
    return String(validating: decoded, as: UTF8.self)
}

/// c-nonce = printable; printable = %x21-2B / %x2D-7E (RFC 5802 §7).
func isNonce(_ text: Substring) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ",") }
}

/// attr-val = ALPHA "=" value, value = 1*value-char (no NUL, no ','). "m" is reserved for
/// mandatory extensions and may appear only first in the client-first (refused there).
private func isExtension(_ field: String) -> Bool {
    let bytes = Array(field.utf8)
    guard bytes.count >= 3, bytes[1] == UInt8(ascii: "="), bytes[0] != UInt8(ascii: "m") else { return false }
    let isAlpha = (0x41...0x5A).contains(bytes[0]) || (0x61...0x7A).contains(bytes[0])
    return isAlpha && !bytes[2...].contains(0)
}

/// cb-name = 1*(ALPHA / DIGIT / "." / "-") (RFC 5056 §7).
private func isChannelBindingName(_ text: Substring) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy {
        (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || (0x30...0x39).contains($0)
            || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
    }
}

extension Base64 {
    /// A base64 attribute value (c=, p=): non-empty, strictly decoded.
    static func decodeStrict(_ text: Substring) -> [UInt8]? {
        text.isEmpty ? nil : Base64.decode(Array(text.utf8))
    }
}
