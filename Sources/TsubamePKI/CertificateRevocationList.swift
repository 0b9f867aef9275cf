import Foundation
import SwiftASN1
import X509

/// An X.509 v2 certificate revocation list (RFC 5280 §5), as Tsubame writes and reads it.
///
/// swift-certificates has no CRL type, so the DER is built and parsed here with SwiftASN1:
///
///     CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
///     TBSCertList ::= SEQUENCE {
///         version Version OPTIONAL (v2 = 1), signature AlgorithmIdentifier, issuer Name,
///         thisUpdate Time, nextUpdate Time OPTIONAL,
///         revokedCertificates SEQUENCE OF SEQUENCE {
///             userCertificate CertificateSerialNumber, revocationDate Time,
///             crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
///         crlExtensions [0] EXPLICIT Extensions OPTIONAL }
public struct CertificateRevocationList: Sendable {
    public struct Revoked: Sendable, Equatable {
        public let serial: CertificateSerial
        public let date: Date
        public let reason: RevocationReason
    }

    /// The issuer Name, as DER (compared byte for byte with the CA certificate's subject).
    public let issuer: [UInt8]
    public let thisUpdate: Date
    public let nextUpdate: Date?
    /// The CRLNumber extension (RFC 5280 §5.2.3), nil when absent.
    public let number: Int?
    /// The AuthorityKeyIdentifier's keyIdentifier (RFC 5280 §5.2.1), nil when absent.
    public let authorityKeyIdentifier: [UInt8]?
    public let revoked: [Revoked]
    /// The whole signed CRL.
    public let derEncoded: [UInt8]
    let tbsBytes: [UInt8]
    let signatureAlgorithm: ASN1ObjectIdentifier
    let signatureBytes: [UInt8]

    static let crlNumberOID: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let reasonCodeOID: ASN1ObjectIdentifier = [2, 5, 29, 21]
    static let authorityKeyIdentifierOID: ASN1ObjectIdentifier = [2, 5, 29, 35]
    static let pemDiscriminator = "X509 CRL"

    /// The revocation of `serial`, if this CRL lists it.
    public func revocation(of serial: CertificateSerial) -> Revoked? {
        revoked.first { $0.serial == serial }
    }

    /// PEM "-----BEGIN X509 CRL-----" (RFC 7468 §6), with a final newline.
    public var pem: String {
        PEMDocument(type: Self.pemDiscriminator, derBytes: derEncoded).pemString + "\n"
    }

    /// Whether `authority` (a CA certificate) issued this CRL: the issuer is its subject, byte for
    /// byte, and the signature verifies with its public key (RFC 5280 §6.3.3 (f), (g)).
    public func isIssued(by authority: Certificate) -> Bool {
        guard let subject = try? Self.subjectDER(of: authority), subject == issuer,
              let algorithm = Self.signatureAlgorithms[signatureAlgorithm] else { return false }
        return authority.publicKey.isValidSignature(signatureBytes, for: tbsBytes, signatureAlgorithm: algorithm)
    }

    /// Whether nextUpdate has passed: relying parties treat such a CRL as stale.
    public func isStale(now: Date = Date()) -> Bool {
        nextUpdate.map { now > $0 } ?? false
    }

    // MARK: Making

    /// Builds the TBSCertList, signs it with `key` and returns the CRL (parsed back from its own
    /// DER, so what is returned is what a reader sees).
    static func make(
        issuer: [UInt8], key: SigningKey, authorityKeyIdentifier: [UInt8], number: Int,
        thisUpdate: Date, nextUpdate: Date, revoked: [RevocationLog.Entry]
    ) throws -> CertificateRevocationList {
        let algorithm = CRLEncoding.algorithmIdentifier(for: key.algorithm)
        let tbs = try CRLEncoding.tbsCertList(
            signature: algorithm, issuer: issuer, thisUpdate: thisUpdate, nextUpdate: nextUpdate,
            revoked: revoked, authorityKeyIdentifier: authorityKeyIdentifier, number: number)
        let signature = try key.signature(over: tbs)
        let der = try CRLEncoding.certificateList(tbs: tbs, signatureAlgorithm: algorithm, signature: signature)
        return try CertificateRevocationList(derEncoded: der)
    }

    // MARK: Reading

    public init(pemEncoded text: String, what: String = "the CRL") throws {
        let documents = try PEMFiles.pemDocuments(text, what: what, expected: Self.pemDiscriminator)
        guard documents.count == 1, let document = documents.first, document.discriminator == Self.pemDiscriminator else {
            throw PKIError.invalidMaterial("\(what) must hold exactly one -----BEGIN \(Self.pemDiscriminator)----- block")
        }
        try self.init(derEncoded: document.derBytes, what: what)
    }

    public init(derEncoded der: [UInt8], what: String = "the CRL") throws {
        func malformed(_ detail: String) -> PKIError {
            PKIError.invalidMaterial("\(what) is not a valid X.509 CRL (RFC 5280 §5.1): \(detail)")
        }
        do {
            let top = try DEROutline.children(try DER.parse(der), what)
            guard top.count == 3 else { throw malformed("expected tbsCertList, signatureAlgorithm, signatureValue") }
            tbsBytes = Array(top[0].encodedBytes)
            guard let algorithmNode = try DEROutline.children(top[1], what).first else { throw malformed("no signature algorithm") }
            signatureAlgorithm = try ASN1ObjectIdentifier(derEncoded: algorithmNode)
            let bitString = try ASN1BitString(derEncoded: top[2])
            guard bitString.paddingBits == 0 else { throw malformed("the signature is not a whole number of octets") }
            signatureBytes = Array(bitString.bytes)
            derEncoded = der

            var fields = try DEROutline.children(top[0], what)[...]
            if let first = fields.first, first.identifier == .integer {
                guard try Int(derEncoded: first) == 1 else { throw malformed("only version 2 CRLs are read") }
                fields = fields.dropFirst()
            }
            guard fields.count >= 3 else { throw malformed("the TBSCertList is too short") }
            let innerAlgorithm = try DEROutline.children(fields.removeFirst(), what)
            guard let innerOID = innerAlgorithm.first, try ASN1ObjectIdentifier(derEncoded: innerOID) == signatureAlgorithm else {
                // RFC 5280 §5.1.2.2: the two algorithm fields MUST match.
                throw malformed("the inner and outer signature algorithms differ")
            }
            issuer = Array(fields.removeFirst().encodedBytes)
            thisUpdate = try CRLEncoding.date(fields.removeFirst())
            if let next = fields.first, next.identifier == .utcTime || next.identifier == .generalizedTime {
                nextUpdate = try CRLEncoding.date(next)
                fields = fields.dropFirst()
            } else {
                nextUpdate = nil
            }
            var revoked: [Revoked] = []
            if let list = fields.first, list.identifier == .sequence {
                fields = fields.dropFirst()
                for entryNode in try DEROutline.children(list, what) {
                    revoked.append(try Self.revokedEntry(entryNode, what: what))
                }
            }
            self.revoked = revoked
            var number: Int?
            var keyIdentifier: [UInt8]?
            if let extensionsNode = fields.first {
                guard extensionsNode.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific),
                      let sequence = try DEROutline.children(extensionsNode, what).first else {
                    throw malformed("unexpected field after the revoked certificates")
                }
                for (oid, critical, value) in try CRLEncoding.extensions(sequence, what: what) {
                    switch oid {
                    case Self.crlNumberOID:
                        number = try Int(derEncoded: try DER.parse(value))
                    case Self.authorityKeyIdentifierOID:
                        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, ... }
                        let parts = try DEROutline.children(try DER.parse(value), what)
                        if let first = parts.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                            keyIdentifier = Array(try DEROutline.primitive(first, what))
                        }
                    default:
                        // RFC 5280 §5.2: a CRL with a critical extension the reader does not know must not be used.
                        if critical { throw malformed("it has a critical extension Tsubame does not know (\(oid))") }
                    }
                }
            }
            self.number = number
            self.authorityKeyIdentifier = keyIdentifier
        } catch let error as PKIError {
            throw error
        } catch {
            throw malformed("\(error)")
        }
    }

    private static func revokedEntry(_ node: ASN1Node, what: String) throws -> Revoked {
        let fields = try DEROutline.children(node, what)
        guard fields.count >= 2, fields[0].identifier == .integer else {
            throw PKIError.invalidMaterial("\(what) has a malformed revoked certificate entry")
        }
        let serial = try CertificateSerial(derIntegerContent: try DEROutline.primitive(fields[0], what))
        let date = try CRLEncoding.date(fields[1])
        var reason = RevocationReason.unspecified
        if fields.count > 2 {
            for (oid, _, value) in try CRLEncoding.extensions(fields[2], what: what) where oid == reasonCodeOID {
                let node = try DER.parse(value)
                guard node.identifier == .enumerated, let code = try DEROutline.primitive(node, what).last,
                      let known = RevocationReason(code: Int(code)) else {
                    throw PKIError.invalidMaterial("\(what) has a reasonCode Tsubame does not know for serial \(serial)")
                }
                reason = known
            }
        }
        return Revoked(serial: serial, date: date, reason: reason)
    }

    /// The exact DER of a certificate's subject field, from its encoding (not re-serialized).
    static func subjectDER(of certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        // TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, issuer, validity, subject, ... }
        let top = try DEROutline.children(try DER.parse(serializer.serializedBytes), "the CA certificate")
        var tbs = try DEROutline.children(top[0], "the CA certificate")
        if let first = tbs.first, first.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            tbs.removeFirst()
        }
        guard tbs.count >= 6 else { throw PKIError.invalidMaterial("the CA certificate has no subject") }
        return Array(tbs[4].encodedBytes)
    }

    /// The algorithms a CRL from Tsubame may be signed with (SHA-1 and MD5 never).
    static let signatureAlgorithms: [ASN1ObjectIdentifier: Certificate.SignatureAlgorithm] = [
        [1, 2, 840, 10045, 4, 3, 2]: .ecdsaWithSHA256,
        [1, 2, 840, 10045, 4, 3, 3]: .ecdsaWithSHA384,
        [1, 2, 840, 10045, 4, 3, 4]: .ecdsaWithSHA512,
        [1, 2, 840, 113549, 1, 1, 11]: .sha256WithRSAEncryption,
        [1, 2, 840, 113549, 1, 1, 12]: .sha384WithRSAEncryption,
        [1, 2, 840, 113549, 1, 1, 13]: .sha512WithRSAEncryption,
    ]
}
