import Foundation
import X509

/// A server certificate with its new key and the chain the server sends (leaf first).
public struct ServerCertificate: Sendable {
    public let certificate: Certificate
    public let key: SigningKey
    /// The leaf then the private CA, or just the leaf when self-signed.
    public let chain: [Certificate]

    public var isSelfSigned: Bool { chain.count == 1 }

    /// Writes `server-key.pem` (0600), `server.pem` and `server-chain.pem` (0644) into `DIR/tls`
    /// (0700), replacing the previous ones.
    public func save(to paths: TLSPaths) throws {
        try PEMFiles.prepareDirectory(paths.directory)
        try PEMFiles.writeAtomically([
            PEMFiles.privateKeyEntry(key, path: paths.serverKey),
            try PEMFiles.certificateEntry([certificate], path: paths.serverCertificate),
            try PEMFiles.certificateEntry(chain, path: paths.serverChain),
        ])
    }
}

/// A self-signed server certificate ("オレオレ証明書"): no CA, so every client warns until the
/// user accepts it by hand. The private CA is the better choice; this is for quick tests.
public enum SelfSignedCertificate {
    /// The server certificate profile (CA:FALSE, digitalSignature, serverAuth, the names as
    /// SANs), signed by its own new key.
    public static func make(
        for identity: ServerIdentity, keyType: KeyType = .default, days: Int = CertificateValidity.defaultServerDays,
        now: Date = Date()
    ) throws -> ServerCertificate {
        try CertificateValidity.checkServerDays(days)
        let key = try SigningKey.generate(keyType)
        let name = try CertificateProfile.name(commonName: identity.commonName)
        let certificate = try CertificateProfile.sign(
            publicKey: key.publicKey, subject: name, issuer: name, window: CertificateValidity.window(days: days, now: now),
            extensions: try CertificateProfile.serverExtensions(
                identity: identity, publicKey: key.publicKey, isRSA: keyType.isRSA, authorityKeyIdentifier: nil),
            issuerKey: key)
        return ServerCertificate(certificate: certificate, key: key, chain: [certificate])
    }
}
