import Crypto
import Foundation
import _CryptoExtras

/// A public key record, the TXT data at SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.1).
struct DKIMKeyRecord: Sendable {
    enum PublicKey: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        /// The raw 32 octets, checked to make a key (swift-crypto's key type is not Sendable).
        case ed25519([UInt8])
    }

    enum Key: Sendable {
        case key(PublicKey)
        /// p= empty: the key was revoked (§3.6.1).
        case revoked
    }

    var key: Key
    /// t=y: the domain is testing DKIM (§3.6.1).
    var testing: Bool
    /// t=s: i= must have exactly d= as its domain (§3.6.1).
    var strict: Bool

    /// RFC 8301 §3.2: verifiers accept 1024 to 4096 bits; smaller is refused, larger too (so
    /// a hostile record cannot make us do an 16384-bit exponentiation per message).
    static let minimumRSABits = 1024
    static let maximumRSABits = 4096

    /// Reads the record for a signature of `algorithm`. Problems are permerrors (§6.1.2)
    /// except a revoked key, which is reported by the caller.
    init(_ text: String, for algorithm: DKIMAlgorithm) throws(DKIMProblem) {
        let tags: DKIMTagList
        do { tags = try DKIMTagList(parsing: Array(text.utf8)) } catch { throw .permerror("key record syntax") }
        // §3.6.1 v=: if present, it MUST be the first tag and be "DKIM1".
        if let version = tags["v"] {
            guard tags.tags.first?.name == "v", version == "DKIM1" else { throw .permerror("key record version") }
        }
        // h= (acceptable hash algorithms, default all): ours is always sha256.
        if let hashes = tags["h"], !DKIMTagList.colonList(hashes).contains(where: { $0.lowercased() == "sha256" }) {
            throw .permerror("key does not allow sha256")
        }
        // s= (service types, default "*"): "*" or "email".
        if let services = tags["s"],
           !DKIMTagList.colonList(services).contains(where: { $0 == "*" || $0.lowercased() == "email" }) {
            throw .permerror("key is not for email")
        }
        let flags = DKIMTagList.colonList(tags["t"] ?? "").map { $0.lowercased() }
        testing = flags.contains("y")
        strict = flags.contains("s")
        let kind = (tags["k"] ?? "rsa").lowercased()
        let expected = algorithm == .rsaSHA256 ? "rsa" : "ed25519"
        guard kind == expected else { throw .permerror("key type k=\(kind) does not match a=") }
        guard let p = tags["p"] else { throw .permerror("key record has no p=") }
        let encoded = DKIMTagList.removingFWS(p)
        if encoded.isEmpty {
            key = .revoked
            return
        }
        guard let der = Data(base64Encoded: encoded) else { throw .permerror("p= is not base64") }
        switch algorithm {
        case .rsaSHA256:
            key = .key(.rsa(try Self.rsaKey(Array(der))))
        case .ed25519SHA256:
            // RFC 8463 §4.2: p= is the raw 32-octet key.
            guard der.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: der)) != nil else {
                throw .permerror("not an Ed25519 key")
            }
            key = .key(.ed25519(Array(der)))
        }
    }

    /// An RSA key given as SubjectPublicKeyInfo (what §3.6.1 asks for) or as a bare PKCS #1
    /// RSAPublicKey (which some publishers put there; chasquid accepts both). The size is read
    /// first so that a small key gets its own reason (RFC 8301 §3.2: 1024 bits and up).
    ///
    /// The key is made from its modulus and exponent, checked here first as BoringSSL checks
    /// them (rsa_check_public_key: an odd modulus, an odd exponent of 2 to 33 bits), so that
    /// swift-crypto never sees a key it refuses: its DER initializers (3.12) free the key twice
    /// when BoringSSL refuses the DER, which FuzzDKIMSignature found with a changed exponent.
    /// (`init(n:e:)` also skips the 2048-bit floor of the safe DER initializer.)
    static func rsaKey(_ der: [UInt8]) throws(DKIMProblem) -> _RSA.Signing.PublicKey {
        guard let shape = RSAPublicKeyDER(der) else { throw .permerror("not an RSA public key") }
        guard shape.modulusBits >= minimumRSABits else { throw .permerror("key too small") }
        guard shape.modulusBits <= maximumRSABits else { throw .permerror("key too large") }
        guard shape.modulus.last.map({ $0 & 1 == 1 }) == true, shape.exponent.last.map({ $0 & 1 == 1 }) == true,
              (2...33).contains(shape.exponentBits)
        else { throw .permerror("not an RSA public key") }
        guard let key = try? _RSA.Signing.PublicKey(n: Array(shape.modulus), e: Array(shape.exponent)) else {
            throw .permerror("not an RSA public key")
        }
        return key
    }
}

/// Just enough DER (X.690) to tell SPKI from PKCS #1, read the modulus size and wrap a PKCS #1
/// key in an SPKI. Every length is checked against what is left.
struct RSAPublicKeyDER {
    /// Modulus and exponent without leading zero octets.
    var modulus: ArraySlice<UInt8>
    var exponent: ArraySlice<UInt8>
    var modulusBits: Int
    var exponentBits: Int
    var spki: [UInt8]

    /// rsaEncryption AlgorithmIdentifier: SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }.
    static let rsaAlgorithm: [UInt8] = [
        0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00,
    ]

    init?(_ der: [UInt8]) {
        guard let outer = Self.element(der[...]), outer.tag == 0x30, outer.rest.isEmpty,
              let first = Self.element(outer.content)
        else { return nil }
        let pkcs1: ArraySlice<UInt8>
        if first.tag == 0x30 {
            // SPKI: AlgorithmIdentifier (the rsaEncryption OID; its NULL is not checked), then a
            // BIT STRING holding RSAPublicKey.
            guard first.content.starts(with: Self.rsaAlgorithm[2..<13]),
                  let bits = Self.element(first.rest), bits.tag == 0x03, bits.content.first == 0
            else { return nil }
            pkcs1 = bits.content.dropFirst()
            spki = der
        } else if first.tag == 0x02 {
            pkcs1 = der[...]
            var bitString: [UInt8] = [0x00]
            bitString += der
            let body = Self.rsaAlgorithm + Self.encode(tag: 0x03, bitString)
            spki = Self.encode(tag: 0x30, body)
        } else {
            return nil
        }
        guard let sequence = Self.element(pkcs1), sequence.tag == 0x30,
              let modulus = Self.element(sequence.content), modulus.tag == 0x02,
              let exponent = Self.element(modulus.rest), exponent.tag == 0x02
        else { return nil }
        self.modulus = Self.strippingZeros(modulus.content)
        self.exponent = Self.strippingZeros(exponent.content)
        modulusBits = Self.bitCount(self.modulus)
        exponentBits = Self.bitCount(self.exponent)
    }

    static func strippingZeros(_ digits: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var digits = digits
        while digits.first == 0 { digits = digits.dropFirst() }
        return digits
    }

    static func bitCount(_ digits: ArraySlice<UInt8>) -> Int {
        guard let top = digits.first else { return 0 }
        return (digits.count - 1) * 8 + (8 - top.leadingZeroBitCount)
    }

    /// One TLV: its tag, content and what follows it.
    static func element(_ bytes: ArraySlice<UInt8>) -> (tag: UInt8, content: ArraySlice<UInt8>, rest: ArraySlice<UInt8>)? {
        var index = bytes.startIndex
        guard index < bytes.endIndex else { return nil }
        let tag = bytes[index]
        index += 1
        guard index < bytes.endIndex else { return nil }
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let octets = length & 0x7F
            guard octets >= 1, octets <= 3 else { return nil }
            length = 0
            for _ in 0..<octets {
                guard index < bytes.endIndex else { return nil }
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard length <= bytes.endIndex - index else { return nil }
        return (tag, bytes[index..<(index + length)], bytes[(index + length)...])
    }

    static func encode(tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        let count = content.count
        if count < 0x80 {
            out.append(UInt8(count))
        } else if count < 0x100 {
            out += [0x81, UInt8(count)]
        } else if count < 0x10000 {
            out += [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        } else {
            out += [0x83, UInt8(count >> 16), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        }
        return out + content
    }
}
