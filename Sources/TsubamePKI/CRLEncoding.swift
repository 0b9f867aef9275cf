import Foundation
import SwiftASN1
import X509

/// The DER pieces of a CRL (RFC 5280 §5.1), free of files and clocks.
enum CRLEncoding {
    /// AlgorithmIdentifier for the CA key: ECDSA with no parameters (RFC 5758 §3.2), RSA PKCS#1
    /// v1.5 with a NULL parameter (RFC 4055 §5). SHA-1 is never used.
    static func algorithmIdentifier(for algorithm: KeyAlgorithm) -> [UInt8] {
        let oid: ASN1ObjectIdentifier
        switch algorithm {
        case .p256: oid = [1, 2, 840, 10045, 4, 3, 2]  // ecdsa-with-SHA256
        case .p384: oid = [1, 2, 840, 10045, 4, 3, 3]  // ecdsa-with-SHA384
        case .rsa: oid = [1, 2, 840, 113549, 1, 1, 11]  // sha256WithRSAEncryption
        }
        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: .sequence) { coder in
            try? coder.serialize(oid)
            if case .rsa = algorithm { try? coder.serialize(ASN1Null()) }
        }
        return serializer.serializedBytes
    }

    /// TBSCertList, v2. `revokedCertificates` is left out when nothing is revoked (RFC 5280
    /// §5.1.2.6: "When there are no revoked certificates, the revoked certificates list MUST be
    /// absent"). crlExtensions: AuthorityKeyIdentifier (§5.2.1, MUST) and CRLNumber (§5.2.3, MUST),
    /// both non-critical.
    static func tbsCertList(
        signature: [UInt8], issuer: [UInt8], thisUpdate: Date, nextUpdate: Date,
        revoked: [RevocationLog.Entry], authorityKeyIdentifier: [UInt8], number: Int
    ) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // Version v2 (RFC 5280 §5.1.2.1: MUST be present when extensions are)
            coder.serializeRawBytes(signature)
            coder.serializeRawBytes(issuer)
            try time(thisUpdate, into: &coder)
            try time(nextUpdate, into: &coder)
            if !revoked.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { list in
                    for entry in revoked {
                        try list.appendConstructedNode(identifier: .sequence) { item in
                            integer(entry.serial.derIntegerContent, into: &item)
                            try time(entry.date, into: &item)
                            // RFC 5280 §5.3.1: "the reason code CRL entry extension SHOULD be absent
                            // instead of using the unspecified (0) reasonCode value."
                            if entry.reason != .unspecified {
                                try item.appendConstructedNode(identifier: .sequence) { extensions in
                                    try self.extension(CertificateRevocationList.reasonCodeOID, into: &extensions) { value in
                                        value.appendPrimitiveNode(identifier: .enumerated) { $0.append(UInt8(entry.reason.code)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { tagged in
                try tagged.appendConstructedNode(identifier: .sequence) { extensions in
                    try self.extension(CertificateRevocationList.authorityKeyIdentifierOID, into: &extensions) { value in
                        value.appendConstructedNode(identifier: .sequence) { sequence in
                            sequence.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                                $0.append(contentsOf: authorityKeyIdentifier)
                            }
                        }
                    }
                    try self.extension(CertificateRevocationList.crlNumberOID, into: &extensions) { value in
                        try value.serialize(number)
                    }
                }
            }
        }
        return serializer.serializedBytes
    }

    /// CertificateList: the TBS, the algorithm again, and the signature as a BIT STRING.
    static func certificateList(tbs: [UInt8], signatureAlgorithm: [UInt8], signature: [UInt8]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbs)
            coder.serializeRawBytes(signatureAlgorithm)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
        }
        return serializer.serializedBytes
    }

    /// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE (omitted), extnValue OCTET STRING }
    private static func `extension`(
        _ oid: ASN1ObjectIdentifier, into coder: inout DER.Serializer, value: (inout DER.Serializer) throws -> Void
    ) throws {
        var inner = DER.Serializer()
        try value(&inner)
        try coder.appendConstructedNode(identifier: .sequence) { item in
            try item.serialize(oid)
            try item.serialize(ASN1OctetString(contentBytes: inner.serializedBytes[...]))
        }
    }

    private static func integer(_ content: [UInt8], into coder: inout DER.Serializer) {
        coder.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: content) }
    }

    /// RFC 5280 §5.1.2.4: UTCTime for dates through 2049, GeneralizedTime from 2050, both in UTC
    /// with seconds and no fraction.
    static func time(_ date: Date, into coder: inout DER.Serializer) throws {
        let parts = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day,
              let hour = parts.hour, let minute = parts.minute, let second = parts.second else {
            throw PKIError.invalidRequest("cannot encode the time \(date)")
        }
        if (1950...2049).contains(year) {
            try coder.serialize(try UTCTime(year: year, month: month, day: day, hours: hour, minutes: minute, seconds: second))
        } else {
            try coder.serialize(try GeneralizedTime(
                year: year, month: month, day: day, hours: hour, minutes: minute, seconds: second, fractionalSeconds: 0))
        }
    }

    static func date(_ node: ASN1Node) throws -> Date {
        let parts: DateComponents
        switch node.identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: node)
            parts = DateComponents(year: time.year, month: time.month, day: time.day, hour: time.hours, minute: time.minutes, second: time.seconds)
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: node)
            parts = DateComponents(year: time.year, month: time.month, day: time.day, hour: time.hours, minute: time.minutes, second: time.seconds)
        default:
            throw PKIError.invalidMaterial("expected a UTCTime or GeneralizedTime in the CRL")
        }
        guard let date = utcCalendar.date(from: parts) else { throw PKIError.invalidMaterial("the CRL holds an impossible date") }
        return date
    }

    /// The extensions in an Extensions SEQUENCE: (extnID, critical, extnValue contents).
    static func extensions(_ node: ASN1Node, what: String) throws -> [(ASN1ObjectIdentifier, Bool, ArraySlice<UInt8>)] {
        try DEROutline.children(node, what).map { item in
            let parts = try DEROutline.children(item, what)
            guard parts.count >= 2, let last = parts.last else { throw PKIError.invalidMaterial("\(what) has a malformed extension") }
            let oid = try ASN1ObjectIdentifier(derEncoded: parts[0])
            let critical = parts.count == 3 ? try Bool(derEncoded: parts[1]) : false
            return (oid, critical, try ASN1OctetString(derEncoded: last).bytes)
        }
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
