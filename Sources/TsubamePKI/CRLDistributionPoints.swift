import SwiftASN1
import X509

/// The CRL Distribution Points extension (RFC 5280 §4.2.1.13): where clients fetch the CA's CRL.
///
///     CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
///     DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL, ... }
///     DistributionPointName ::= CHOICE { fullName [0] GeneralNames, ... }
///     GeneralName ::= CHOICE { ..., uniformResourceIdentifier [6] IA5String, ... }
///
/// One point with one http(s) URL; non-critical, as §4.2.1.13 recommends.
enum CRLDistributionPoints {
    static let oid: ASN1ObjectIdentifier = [2, 5, 29, 31]

    static func makeExtension(url: String) throws -> Certificate.Extension {
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"),
              url.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw PKIError.invalidRequest(
                "the CRL URL \"\(url)\" must be an http:// or https:// URL in ASCII without spaces (RFC 5280 §4.2.1.13, IA5String)")
        }
        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: .sequence) { points in
            points.appendConstructedNode(identifier: .sequence) { point in
                // [0] tags a CHOICE, so it is explicit (X.680 §31.2.7): constructed around fullName.
                point.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { name in
                    name.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { names in
                        names.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific)) {
                            $0.append(contentsOf: Array(url.utf8))
                        }
                    }
                }
            }
        }
        return Certificate.Extension(oid: oid, critical: false, value: serializer.serializedBytes[...])
    }
}
