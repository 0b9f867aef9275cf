import Crypto
import Foundation
import SwiftASN1
import X509

/// What the command line prints about a certificate, as plain text.
public struct CertificateSummary: Sendable, Equatable {
    public let commonName: String
    public let issuerCommonName: String
    /// The SubjectAlternativeNames: DNS names, then IP addresses.
    public let names: [String]
    /// "ECDSA P-256", "RSA 3072-bit", ...
    public let keyDescription: String
    /// yyyy-MM-dd (UTC).
    public let validUntil: String
    public let notValidAfter: Date
    /// Lower-case hex.
    public let serialNumber: String
    /// SHA-256 of the DER certificate, as colon-separated upper-case hex pairs (what clients show).
    public let sha256Fingerprint: String

    public init(_ certificate: Certificate) throws {
        commonName = Self.commonName(certificate.subject)
        issuerCommonName = Self.commonName(certificate.issuer)
        var dns: [String] = []
        var ips: [String] = []
        let alternativeNames = (try? certificate.extensions.subjectAlternativeNames) ?? nil
        for name in alternativeNames ?? SubjectAlternativeNames() {
            switch name {
            case .dnsName(let host): dns.append(host)
            case .ipAddress(let octets): ips.append(ServerIdentity.ipAddressText(Array(octets.bytes)))
            default: break
            }
        }
        names = dns + ips
        keyDescription = (try? KeyAlgorithm(certificate.publicKey, what: "the certificate"))?.description
            ?? certificate.publicKey.description
        notValidAfter = certificate.notValidAfter
        validUntil = CertificateAuthority.day(certificate.notValidAfter)
        serialNumber = certificate.serialNumber.bytes.map { Self.hex($0) }.joined()
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        sha256Fingerprint = SHA256.hash(data: serializer.serializedBytes).map { Self.hex($0).uppercased() }.joined(separator: ":")
    }

    static func commonName(_ name: DistinguishedName) -> String {
        name.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }.flatMap { String($0.value) } ?? name.description
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}

extension CertificateAuthority {
    public func summary() throws -> CertificateSummary { try CertificateSummary(certificate) }
}

extension ServerCertificate {
    public func summary() throws -> CertificateSummary { try CertificateSummary(certificate) }
}
