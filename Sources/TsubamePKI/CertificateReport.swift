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
    /// What the CA's CRL says about the leaf ("not revoked (CRL 3, next update ...)"), or nil
    /// when no CRL of its issuer was given.
    public let revocationStatus: String?
    public let problems: [String]
    public let warnings: [String]

    /// Warn this many days before expiry.
    public static let expiryWarningDays = 30

    /// Inspects `chain` (leaf first). `roots` are the trusted CAs (DIR/tls/ca.pem or --ca).
    /// Weak keys and broken hashes are refused earlier, by `PEMFiles.parseCertificates`.
    /// `revocationList` (DIR/tls/crl.pem) counts only when a trusted root issued it and it is
    /// the leaf issuer's; a leaf it lists is unusable. `revocationListFailure`: why the CRL file
    /// could not be read, reported as a warning.
    public init(
        chain: [Certificate], roots: [Certificate], host: String?, now: Date = Date(),
        revocationList: CertificateRevocationList? = nil, revocationListFailure: String? = nil
    ) throws {
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
        if let revocationListFailure { warnings.append("the CRL could not be read, so revocation was not checked: \(revocationListFailure)") }
        revocationStatus = Self.checkRevocation(
            leaf, roots: roots, list: revocationList, now: now, problems: &problems, warnings: &warnings)
        self.problems = problems
        self.warnings = warnings
    }

    /// RFC 5280 §6.3: a CRL counts for the leaf when it has the leaf's issuer and verifies with a
    /// trusted CA of that name; then a listed serial makes the leaf unusable.
    static func checkRevocation(
        _ leaf: Certificate, roots: [Certificate], list: CertificateRevocationList?, now: Date,
        problems: inout [String], warnings: inout [String]
    ) -> String? {
        guard let list, (try? DistinguishedName(derEncoded: DER.parse(list.issuer))) == leaf.issuer,
              roots.contains(where: { $0.subject == leaf.issuer }) else { return nil }
        guard roots.contains(where: { list.isIssued(by: $0) }) else {
            warnings.append("the CRL names the issuer \(leaf.issuer) but is not signed by the trusted CA; it was ignored")
            return nil
        }
        let numbered = list.number.map { "CRL \($0)" } ?? "CRL"
        let next = list.nextUpdate.map { ", next update \(RevocationLog.formatDate($0))" } ?? ""
        if list.isStale(now: now) {
            warnings.append("the CRL is past its next update (\(list.nextUpdate.map(RevocationLog.formatDate) ?? "")): clients that check it will refuse every certificate; reissue it with `tsubame ca crl`")
        }
        guard let serial = try? CertificateSerial(leaf.serialNumber), let revoked = list.revocation(of: serial) else {
            return "not revoked (\(numbered)\(next))"
        }
        problems.append("revoked on \(RevocationLog.formatDate(revoked.date)) (\(revoked.reason.rawValue))")
        return "REVOKED on \(RevocationLog.formatDate(revoked.date)) (\(revoked.reason.rawValue); \(numbered))"
    }

    /// Reads `file` (PEM, leaf first), the trusted CAs in `trustedFile` and the CRL in `crlFile`
    /// (when that file exists), then inspects. Weak keys and broken hashes in `file` throw, with
    /// the reason.
    public static func inspect(
        file: String, trustedFile: String?, host: String?, now: Date = Date(), crlFile: String? = nil
    ) throws -> CertificateReport {
        try inspect(chain: try PEMFiles.readCertificates(file), trustedFile: trustedFile, host: host, now: now, crlFile: crlFile)
    }

    /// Reads the trusted CAs and the CRL (a CRL that cannot be read is reported, not thrown),
    /// then inspects `chain`.
    static func inspect(
        chain: [Certificate], trustedFile: String?, host: String?, now: Date, crlFile: String?
    ) throws -> CertificateReport {
        let roots = try trustedFile.map { try PEMFiles.readCertificates($0) } ?? []
        var list: CertificateRevocationList?
        var failure: String?
        if let crlFile, PEMFiles.exists(crlFile) {
            do {
                list = try CertificateRevocationList(pemEncoded: try PEMFiles.readText(crlFile), what: crlFile)
            } catch {
                failure = "\(error)"
            }
        }
        return try CertificateReport(
            chain: chain, roots: roots, host: host, now: now, revocationList: list, revocationListFailure: failure)
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
        if let revocationStatus { lines.append("Revocation:   \(revocationStatus)") }
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
                text = "SubjectKeyIdentifier: " + ((try? SubjectKeyIdentifier(ext)).map { hexPairs($0.keyIdentifier) } ?? "(malformed)")
            case .X509ExtensionID.authorityKeyIdentifier:
                text = "AuthorityKeyIdentifier: " + ((try? AuthorityKeyIdentifier(ext)).map { identifier in
                    identifier.keyIdentifier.map { "keyid " + hexPairs($0) } ?? "\(identifier)"
                } ?? "(malformed)")
            case .X509ExtensionID.subjectAlternativeName:
                text = "SubjectAlternativeName: " + ((try? SubjectAlternativeNames(ext)).map(describeNames) ?? "(malformed)")
            case crlDistributionPointsOID:
                let urls = (try? DER.parse(ext.value)).map(uniformResourceIdentifiers) ?? []
                text = "CRLDistributionPoints: " + (urls.isEmpty ? "(no URL)" : urls.joined(separator: ", "))
            default:
                text = "\(ext.oid)"
            }
            return text + critical
        }
    }

    /// "DNS:mail.example.org, IP:127.0.0.1", as `openssl x509 -text` writes them.
    static func describeNames(_ names: SubjectAlternativeNames) -> String {
        names.map { name in
            switch name {
            case .dnsName(let host): return "DNS:\(host)"
            case .ipAddress(let octets): return "IP:\(ServerIdentity.ipAddressText(Array(octets.bytes)))"
            case .rfc822Name(let address): return "email:\(address)"
            case .uniformResourceIdentifier(let uri): return "URI:\(uri)"
            default: return "\(name)"
            }
        }.joined(separator: ", ")
    }

    /// "E1:E2:44:0F:…": two upper-case hex digits per octet, as clients show key identifiers.
    static func hexPairs(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { byte in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined(separator: ":")
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
