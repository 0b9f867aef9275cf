import Foundation
import X509

/// `tsubame cert install`: takes the chain a public CA returned for our request, and the key.
public enum ChainInstallation {
    /// Reads the chain, the key and DIR/tls/ca.pem (when present), then checks as below.
    public static func check(chainFile: String, keyFile: String, paths: TLSPaths, hostname: String?) throws -> ServerCertificate {
        let trusted = PEMFiles.exists(paths.caCertificate) ? try PEMFiles.readCertificates(paths.caCertificate) : []
        return try check(
            chainPEM: try PEMFiles.readText(chainFile), keyPEM: try PEMFiles.readText(keyFile), trusted: trusted,
            hostname: hostname, chainName: chainFile, keyName: keyFile)
    }

    /// Checks everything a client will check, before the server sends it: the key belongs to the
    /// leaf; the chain verifies (RFC 5280) to a self-signed last certificate, or to one of
    /// `trusted` (DIR/tls/ca.pem); the names cover `hostname` (when given: an SNI certificate
    /// serves its own names); today is inside the validity; no
    /// weak key or hash anywhere.
    public static func check(
        chainPEM: String, keyPEM: String, trusted: [Certificate], hostname: String?,
        chainName: String = "the chain", keyName: String = "the key", now: Date = Date()
    ) throws -> ServerCertificate {
        let chain = try PEMFiles.parseCertificates(chainPEM, what: chainName)
        let key = try SigningKey(pemEncoded: keyPEM, what: keyName)
        guard let leaf = chain.first else { throw PKIError.invalidMaterial("\(chainName) holds no certificate") }
        guard leaf.publicKey == key.publicKey else {
            throw PKIError.invalidMaterial(
                "\(keyName) is not the key of the first certificate in \(chainName): their public keys differ (was the request made with another key?)")
        }
        guard now >= leaf.notValidBefore else {
            throw PKIError.invalidRequest("the certificate is not valid until \(leaf.notValidBefore.formatted(.iso8601)); install it then")
        }
        guard now <= leaf.notValidAfter else {
            throw PKIError.invalidRequest(
                "the certificate expired on \(CertificateAuthority.day(leaf.notValidAfter)); ask the CA for a new one")
        }
        if let hostname, !ChainVerification.matches(leaf, host: hostname) {
            let names = (try? CertificateSummary(leaf))?.names.joined(separator: ", ") ?? "other names"
            throw PKIError.invalidRequest(
                "the certificate is for \(names), not for \(hostname), the configured hostname: clients would refuse it")
        }
        let roots = trusted
        let selfSignedLast = chain.last.map(ChainVerification.isSelfIssued) ?? false
        if chain.count == 1 && selfSignedLast && roots.isEmpty {
            throw PKIError.invalidRequest(
                "the certificate is self-signed; use `tsubame cert self-signed` for that, or install a chain from a CA")
        }
        if let failure = ChainVerification.failureWaiting(chain: chain, roots: roots, now: now, trustSelfSignedRoot: selfSignedLast) {
            throw PKIError.invalidMaterial("\(chainName) does not verify: \(failure)")
        }
        return ServerCertificate(certificate: leaf, key: key, chain: chain)
    }
}
