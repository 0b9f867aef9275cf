import Crypto
import Foundation
import SwiftASN1
import X509

/// What `tsubame cert show` says about a certificate file: its fields, whether the chain
/// verifies and the host matches, and what makes it unusable (`problems`) or merely worth
/// attention (`warnings`).
public struct CertificateReport: Sendable {
    public let summary: CertificateSummary
    public let subject: String
    public let issuer: String
    public let notValidBefore: Date
    public let notValidAfter: Date
    /// Whole days until notAfter (negative once expired).
    public let daysLeft: Int
    public let signatureAlgorithm: String
    /// One line per extension: "BasicConstraints: CA:FALSE", ...
    public let extensions: [String]
    /// How many certificates the file holds (leaf first).
    public let chainLength: Int
    /// nil when the chain verifies; else why not.
    public let verificationFailure: String?
    /// The host checked against the names, and whether it matched (nil when no host was known).
    public let host: String?
    public let hostMatches: Bool
    public let problems: [String]
    public let warnings: [String]

    /// Warn this many days before expiry.
    public static let expiryWarningDays = 30

    /// Inspects `chain` (leaf first). `roots` are the trusted CAs (DIR/tls/ca.pem or --ca).
    /// Weak keys and broken hashes are refused earlier, by `PEMFiles.parseCertificates`.
    public init(chain: [Certificate], roots: [Certificate], host: String?, now: Date = Date()) throws {
        guard let leaf = chain.first else { throw PKIError.invalidMaterial("the file holds no certificate") }
        summary = try CertificateSummary(leaf)
        subject = leaf.subject.description
        issuer = leaf.issuer.description
        notValidBefore = leaf.notValidBefore
        notValidAfter = leaf.notValidAfter
        daysLeft = Int((leaf.notValidAfter.timeIntervalSince(now) / 86_400).rounded(.down))
        signatureAlgorithm = "\(leaf.signatureAlgorithm)".replacingOccurrences(of: "SignatureAlgorithm.", with: "")
        extensions = Self.describeExtensions(leaf)
        chainLength = chain.count
        self.host = host

        var problems: [String] = []
        var warnings: [String] = []
        if now > leaf.notValidAfter {
            problems.append("expired on \(CertificateAuthority.day(leaf.notValidAfter)) (\(-daysLeft) days ago)")
        } else if daysLeft < Self.expiryWarningDays {
            warnings.append("expires in \(daysLeft) days (\(CertificateAuthority.day(leaf.notValidAfter))); renew it")
        }
        if now < leaf.notValidBefore {
            problems.append("not valid yet: it starts on \(leaf.notValidBefore.formatted(.iso8601))")
        }
        let alternativeNames = (try? leaf.extensions.subjectAlternativeNames) ?? nil
        if alternativeNames == nil || alternativeNames?.isEmpty == true {
            warnings.append("no SubjectAlternativeName: current clients ignore the common name and will reject it (RFC 6125 §6.4.4)")
        }
        let selfSigned = ChainVerification.isSelfIssued(leaf)
        if selfSigned {
            warnings.append("self-signed: clients warn until each user accepts it by hand")
        }
        if case .rsa(let bits) = try KeyAlgorithm(leaf.publicKey, what: "the certificate"), bits < 3072, leaf.notValidAfter > Date(timeIntervalSince1970: 1_924_992_000) {
            // NIST SP 800-57 Part 1: 2048-bit RSA (112-bit security) is acceptable until 2030.
            warnings.append("a \(bits)-bit RSA key valid past 2030: NIST plans to retire 112-bit security then; prefer ECDSA P-256 or RSA 3072")
        }

        if selfSigned && chain.count == 1 && roots.isEmpty {
            verificationFailure = leaf.publicKey.isValidSignature(leaf.signature, for: leaf) ? nil : "its self-signature is invalid"
        } else {
            verificationFailure = ChainVerification.failureWaiting(chain: chain, roots: roots, now: now)
        }
        if let verificationFailure { problems.append("the chain does not verify: \(verificationFailure)") }

        if let host {
            hostMatches = ChainVerification.matches(leaf, host: host)
            if !hostMatches {
                problems.append("not valid for \(host): it names \(summary.names.isEmpty ? "no host" : summary.names.joined(separator: ", "))")
            }
        } else {
            hostMatches = false
        }
        self.problems = problems
        self.warnings = warnings
    }

    /// Reads `file` (PEM, leaf first) and the trusted CAs in `trustedFile`, then inspects.
    /// Weak keys and broken hashes in `file` throw, with the reason.
    public static func inspect(file: String, trustedFile: String?, host: String?, now: Date = Date()) throws -> CertificateReport {
        let chain = try PEMFiles.readCertificates(file)
        let roots = try trustedFile.map { try PEMFiles.readCertificates($0) } ?? []
        return try CertificateReport(chain: chain, roots: roots, host: host, now: now)
    }

    /// Usable: valid today, the chain verifies and the host matches.
    public var isUsable: Bool { problems.isEmpty }

    /// The report as the command prints it.
    public var lines: [String] {
        var lines = [
            "Subject:      \(subject)",
            "Names (SAN):  \(summary.names.isEmpty ? "(none)" : summary.names.joined(separator: ", "))",
            "Issuer:       \(issuer)",
            "Serial:       \(summary.serialNumber)",
            "Valid:        \(notValidBefore.formatted(.iso8601)) to \(notValidAfter.formatted(.iso8601)) (\(daysLeft >= 0 ? "\(daysLeft) days left" : "expired"))",
            "Key:          \(summary.keyDescription)",
            "Signature:    \(signatureAlgorithm)",
            "Extensions:",
        ]
        lines += extensions.map { "  \($0)" }
        lines.append("Chain:        \(chainLength) certificate\(chainLength == 1 ? "" : "s"), \(verificationFailure.map { "does NOT verify: \($0)" } ?? "verifies")")
        if let host { lines.append("Host:         \(host) \(hostMatches ? "matches" : "does NOT match")") }
        lines.append("SHA-256:      \(summary.sha256Fingerprint)")
        lines += warnings.map { "Warning: \($0)" }
        lines += problems.map { "Unusable: \($0)" }
        lines.append(isUsable ? "Result: usable" : "Result: NOT usable")
        return lines
    }

    static let crlDistributionPointsOID: ASN1ObjectIdentifier = [2, 5, 29, 31]

    static func describeExtensions(_ certificate: Certificate) -> [String] {
        certificate.extensions.map { ext in
            let critical = ext.critical ? " (critical)" : ""
            let text: String
            switch ext.oid {
            case .X509ExtensionID.basicConstraints:
                text = "BasicConstraints: " + ((try? BasicConstraints(ext)).map { "\($0)" } ?? "(malformed)")
            case .X509ExtensionID.keyUsage:
                text = "KeyUsage: " + ((try? KeyUsage(ext)).map { "\($0)" } ?? "(malformed)")
            case .X509ExtensionID.extendedKeyUsage:
                text = "ExtendedKeyUsage: " + ((try? ExtendedKeyUsage(ext)).map { "\($0)" } ?? "(malformed)")
            case .X509ExtensionID.subjectKeyIdentifier:
                text = "SubjectKeyIdentifier: " + ((try? SubjectKeyIdentifier(ext)).map { "\($0)" } ?? "(malformed)")
            case .X509ExtensionID.authorityKeyIdentifier:
                text = "AuthorityKeyIdentifier: " + ((try? AuthorityKeyIdentifier(ext)).map { "\($0)" } ?? "(malformed)")
            case .X509ExtensionID.subjectAlternativeName:
                text = "SubjectAlternativeName: " + ((try? SubjectAlternativeNames(ext)).map { "\($0)" } ?? "(malformed)")
            case crlDistributionPointsOID:
                let urls = (try? DER.parse(ext.value)).map(uniformResourceIdentifiers) ?? []
                text = "CRLDistributionPoints: " + (urls.isEmpty ? "(no URL)" : urls.joined(separator: ", "))
            default:
                text = "\(ext.oid)"
            }
            return text + critical
        }
    }

    /// Every GeneralName uniformResourceIdentifier ([6] IA5String, RFC 5280 §4.2.1.6) in `node`.
    static func uniformResourceIdentifiers(_ node: ASN1Node) -> [String] {
        switch node.content {
        case .primitive(let bytes):
            guard node.identifier == ASN1Identifier(tagWithNumber: 6, tagClass: .contextSpecific) else { return [] }
            return [String(decoding: bytes, as: UTF8.self)]
        case .constructed(let children):
            return children.flatMap(uniformResourceIdentifiers)
        }
    }
}
