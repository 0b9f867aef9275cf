import Foundation
import X509

/// Tsubame's private certificate authority: a self-signed root whose certificate users install
/// in their mail clients, and whose key (in `ca-key.pem`, mode 0600) signs server certificates.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let key: SigningKey

    /// "Tsubame Private CA (mail.example.org)", shortened to fit the 64-character common name.
    public static func defaultName(for hostname: String) -> String {
        let name = "Tsubame Private CA (\(hostname))"
        return name.count <= ServerIdentity.maximumCommonNameLength ? name : "Tsubame Private CA"
    }

    /// A new self-signed X.509 v3 root: BasicConstraints CA:TRUE pathlen 0 and KeyUsage
    /// keyCertSign + cRLSign (both critical), and a SubjectKeyIdentifier.
    public static func create(
        name: String, keyType: KeyType = .default, days: Int = CertificateValidity.defaultCADays, now: Date = Date()
    ) throws -> CertificateAuthority {
        try CertificateValidity.checkCADays(days)
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= ServerIdentity.maximumCommonNameLength else {
            throw PKIError.invalidRequest("the CA name must be 1 to 64 characters (RFC 5280 ub-common-name); got \(trimmed.count)")
        }
        let key = try SigningKey.generate(keyType)
        let subject = try CertificateProfile.name(commonName: trimmed)
        let certificate = try CertificateProfile.sign(
            publicKey: key.publicKey, subject: subject, issuer: subject,
            window: CertificateValidity.window(days: days, now: now),
            extensions: try CertificateProfile.caExtensions(publicKey: key.publicKey), issuerKey: key)
        return CertificateAuthority(certificate: certificate, key: key)
    }

    /// Loads `ca.pem` and `ca-key.pem`, refusing weak material, a key that does not belong to the
    /// certificate, and a certificate that is not a CA.
    public static func load(paths: TLSPaths) throws -> CertificateAuthority {
        switch (PEMFiles.exists(paths.caCertificate), PEMFiles.exists(paths.caKey)) {
        case (true, true):
            break
        case (false, false):
            throw PKIError(.missingCA, "there is no private CA in \(paths.directory); create one with `tsubame ca init`")
        case (true, false), (false, true):
            let missing = PEMFiles.exists(paths.caCertificate) ? paths.caKey : paths.caCertificate
            throw PKIError(.missingCA,
                "the private CA in \(paths.directory) is incomplete (\(missing) is missing); restore it, or create a new CA with `tsubame ca init --force`")
        }
        return try load(certificatePEM: try PEMFiles.readText(paths.caCertificate), keyPEM: try PEMFiles.readText(paths.caKey),
                        certificateName: paths.caCertificate, keyName: paths.caKey)
    }

    /// The same checks as `load(paths:)`, on PEM text.
    public static func load(
        certificatePEM: String, keyPEM: String, certificateName: String = "the CA certificate", keyName: String = "the CA key"
    ) throws -> CertificateAuthority {
        let key = try SigningKey(pemEncoded: keyPEM, what: keyName)
        let certificates = try PEMFiles.parseCertificates(certificatePEM, what: certificateName)
        guard certificates.count == 1, let certificate = certificates.first else {
            throw PKIError.invalidMaterial("\(certificateName) must hold exactly one certificate, the CA's (found \(certificates.count))")
        }
        guard certificate.publicKey == key.publicKey else {
            throw PKIError.invalidMaterial("\(keyName) is not the key of \(certificateName): its public key differs")
        }
        let constraints = try? certificate.extensions.basicConstraints
        guard case .isCertificateAuthority = constraints else {
            throw PKIError.invalidMaterial("\(certificateName) is not a CA certificate (BasicConstraints CA:TRUE is missing)")
        }
        if let usage = try? certificate.extensions.keyUsage, !usage.keyCertSign {
            throw PKIError.invalidMaterial("\(certificateName) may not sign certificates (its KeyUsage lacks keyCertSign)")
        }
        return CertificateAuthority(certificate: certificate, key: key)
    }

    /// Whether both CA files are present.
    public static func exists(paths: TLSPaths) -> Bool {
        PEMFiles.exists(paths.caCertificate) && PEMFiles.exists(paths.caKey)
    }

    /// Writes `ca-key.pem` (0600) and `ca.pem` (0644) into `DIR/tls` (0700), replacing both.
    public func save(to paths: TLSPaths) throws {
        try PEMFiles.prepareDirectory(paths.directory)
        try PEMFiles.writeAtomically([
            PEMFiles.privateKeyEntry(key, path: paths.caKey),
            try PEMFiles.certificateEntry([certificate], path: paths.caCertificate),
        ])
    }

    /// The CA's common name.
    public var name: String {
        CertificateSummary.commonName(certificate.subject)
    }

    /// The key identifier server certificates name in their AuthorityKeyIdentifier: the CA's
    /// SubjectKeyIdentifier, or one computed the same way for an imported CA without one.
    var keyIdentifier: ArraySlice<UInt8> {
        (try? certificate.extensions.subjectKeyIdentifier)??.keyIdentifier
            ?? CertificateProfile.keyIdentifier(for: certificate.publicKey)
    }

    /// Issues a server certificate for `identity` with a new key: BasicConstraints CA:FALSE and
    /// KeyUsage digitalSignature (+ keyEncipherment for RSA), both critical; ExtendedKeyUsage
    /// serverAuth; the names as SubjectAlternativeNames; SubjectKeyIdentifier and
    /// AuthorityKeyIdentifier; a random 126-bit serial; at most 397 days, within the CA's life;
    /// CRL Distribution Points when `crlURL` is given (`[tls] crl_url`; nil or "" for none).
    public func issue(
        for identity: ServerIdentity, keyType: KeyType = .default, days: Int = CertificateValidity.defaultServerDays,
        now: Date = Date(), crlURL: String? = nil
    ) throws -> ServerCertificate {
        let window = try serverWindow(days: days, now: now)
        let serverKey = try SigningKey.generate(keyType)
        let leaf = try CertificateProfile.sign(
            publicKey: serverKey.publicKey, subject: try CertificateProfile.name(commonName: identity.commonName),
            issuer: certificate.subject, window: window,
            extensions: try CertificateProfile.serverExtensions(
                identity: identity, publicKey: serverKey.publicKey, isRSA: keyType.isRSA, authorityKeyIdentifier: keyIdentifier,
                crlURL: crlURL),
            issuerKey: key)
        return ServerCertificate(certificate: leaf, key: serverKey, chain: [leaf, certificate])
    }

    /// The validity of a new server certificate: at most 397 days, and within the CA's life.
    func serverWindow(days: Int, now: Date) throws -> (notBefore: Date, notAfter: Date) {
        try CertificateValidity.checkServerDays(days)
        let window = CertificateValidity.window(days: days, now: now)
        guard certificate.notValidAfter > now else {
            throw PKIError.invalidRequest(
                "the private CA \"\(name)\" expired on \(Self.day(certificate.notValidAfter)); create a new one with `tsubame ca init --force` (users must then install the new ca.pem)")
        }
        guard window.notAfter <= certificate.notValidAfter else {
            throw PKIError.invalidRequest(
                "the private CA \"\(name)\" expires on \(Self.day(certificate.notValidAfter)), before a \(days)-day certificate would (\(Self.day(window.notAfter))); ask for at most \(daysLeft(now: now)) days, or create a new CA with `tsubame ca init --force`")
        }
        return window
    }

    /// Whole days from `now` until the CA expires, as a server certificate would count them.
    public func daysLeft(now: Date = Date()) -> Int {
        let seconds = certificate.notValidAfter.timeIntervalSince(now.addingTimeInterval(-CertificateValidity.backdating)) + 1
        return max(0, Int((seconds / 86_400).rounded(.down)))
    }

    static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }
}
