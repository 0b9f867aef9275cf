import SwiftASN1

/// Just enough DER walking to judge material *before* handing it to swift-certificates, which
/// refuses a weak RSA key with an opaque error: we want to say why.
enum DEROutline {
    static func children(_ node: ASN1Node, _ what: String) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else {
            throw PKIError.invalidMaterial("\(what) is not valid DER (expected a SEQUENCE)")
        }
        return Array(nodes)
    }

    static func primitive(_ node: ASN1Node, _ what: String) throws -> ArraySlice<UInt8> {
        guard case .primitive(let bytes) = node.content else {
            throw PKIError.invalidMaterial("\(what) is not valid DER (expected a primitive value)")
        }
        return bytes
    }

    static func objectIdentifier(_ node: ASN1Node, _ what: String) throws -> ASN1ObjectIdentifier {
        do {
            return try ASN1ObjectIdentifier(derEncoded: node)
        } catch {
            throw PKIError.invalidMaterial("\(what) is not valid DER (expected an algorithm identifier)")
        }
    }

    /// The size in bits of a non-negative INTEGER, e.g. an RSA modulus.
    static func integerBitLength(_ node: ASN1Node, _ what: String) throws -> Int {
        guard node.identifier == .integer else {
            throw PKIError.invalidMaterial("\(what) is not valid DER (expected an INTEGER)")
        }
        let bytes = try primitive(node, what).drop(while: { $0 == 0 })
        guard let first = bytes.first else { return 0 }
        return (bytes.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }

    /// RSAPrivateKey (RFC 8017 A.1.2) or RSAPublicKey (A.1.1): the modulus size in bits.
    static func rsaModulusBits(_ der: ArraySlice<UInt8>, isPrivate: Bool, _ what: String) throws -> Int {
        let fields = try children(try parse(der, what), what)
        // RSAPrivateKey starts with a version INTEGER; RSAPublicKey with the modulus.
        let index = isPrivate ? 1 : 0
        guard fields.count > index else { throw PKIError.invalidMaterial("\(what) is not a valid RSA key") }
        return try integerBitLength(fields[index], what)
    }

    static func parse(_ der: ArraySlice<UInt8>, _ what: String) throws -> ASN1Node {
        do {
            return try DER.parse(der)
        } catch {
            throw PKIError.invalidMaterial("\(what) is not valid DER: \(error)")
        }
    }
}

/// The fields of an X.509 certificate (RFC 5280 §4.1) that decide whether it is strong enough.
struct CertificateOutline {
    var signatureAlgorithm: ASN1ObjectIdentifier
    var publicKey: PublicKeyOutline

    init(der: [UInt8], what: String) throws {
        // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
        let top = try DEROutline.children(try DEROutline.parse(der[...], what), what)
        guard top.count == 3 else { throw PKIError.invalidMaterial("\(what) is not an X.509 certificate") }
        let algorithm = try DEROutline.children(top[1], what)
        guard let oid = algorithm.first else { throw PKIError.invalidMaterial("\(what) has no signature algorithm") }
        signatureAlgorithm = try DEROutline.objectIdentifier(oid, what)

        // TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
        //                               validity, subject, subjectPublicKeyInfo, ... }
        var tbs = try DEROutline.children(top[0], what)
        if let first = tbs.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            tbs.removeFirst()
        }
        guard tbs.count >= 6 else { throw PKIError.invalidMaterial("\(what) is not an X.509 certificate") }
        publicKey = try PublicKeyOutline(spki: tbs[5], what: what)
    }
}

/// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): the algorithm, its parameters and the key bits.
struct PublicKeyOutline {
    var algorithm: ASN1ObjectIdentifier
    var curve: ASN1ObjectIdentifier?
    var keyBytes: ArraySlice<UInt8>

    init(spki: ASN1Node, what: String) throws {
        let fields = try DEROutline.children(spki, what)
        guard fields.count == 2 else { throw PKIError.invalidMaterial("\(what) has a malformed public key") }
        let algorithmFields = try DEROutline.children(fields[0], what)
        guard let oid = algorithmFields.first else { throw PKIError.invalidMaterial("\(what) has a malformed public key") }
        algorithm = try DEROutline.objectIdentifier(oid, what)
        if algorithmFields.count > 1, algorithmFields[1].identifier == .objectIdentifier {
            curve = try DEROutline.objectIdentifier(algorithmFields[1], what)
        }
        // BIT STRING: one byte of unused-bit count, then the key.
        keyBytes = try DEROutline.primitive(fields[1], what).dropFirst()
    }
}
