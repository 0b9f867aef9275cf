import Foundation
import Testing
@testable import TsubamePKI

/// The files, as the openssl command line sees them (skipped when openssl is not installed).
@Suite(.enabled(if: OpenSSL.isAvailable, "needs the openssl command line"))
struct OpenSSLTests {
    static let identity = try! ServerIdentity(
        hosts: ["mail.example.org", "localhost"], ipAddresses: ["127.0.0.1", "::1"])

    @Test(arguments: [KeyType.ecdsaP256, .ecdsaP384, .rsa2048])
    func opensslVerifiesTheServerCertificateAgainstTheCA(keyType: KeyType) throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "OpenSSL Test CA", keyType: keyType)
        try ca.save(to: folder.tls)
        try ca.issue(for: Self.identity, keyType: keyType).save(to: folder.tls)
        let paths = folder.tls

        let verify = try OpenSSL.run(["verify", "-x509_strict", "-CAfile", paths.caCertificate, paths.serverCertificate])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("server.pem: OK"))
        let host = try OpenSSL.run(["verify", "-CAfile", paths.caCertificate, "-verify_hostname", "mail.example.org", paths.serverCertificate])
        #expect(host.status == 0, "\(host.output)")
        let ip = try OpenSSL.run(["verify", "-CAfile", paths.caCertificate, "-verify_ip", "127.0.0.1", paths.serverCertificate])
        #expect(ip.status == 0, "\(ip.output)")
        let wrong = try OpenSSL.run(["verify", "-CAfile", paths.caCertificate, "-verify_hostname", "evil.example.org", paths.serverCertificate])
        #expect(wrong.status != 0)

        let text = try OpenSSL.run(["x509", "-noout", "-text", "-in", paths.serverCertificate])
        #expect(text.status == 0)
        for expected in ["CA:FALSE", "TLS Web Server Authentication", "DNS:mail.example.org", "DNS:localhost",
                         "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "Digital Signature", "Version: 3 (0x2)",
                         "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier", "Subject: CN = mail.example.org"] {
            #expect(text.output.contains(expected), "missing \(expected)")
        }
        #expect(text.output.contains("Key Encipherment") == keyType.isRSA)
        #expect(!text.output.lowercased().contains("sha1with"))

        let caText = try OpenSSL.run(["x509", "-noout", "-text", "-in", paths.caCertificate])
        for expected in ["CA:TRUE, pathlen:0", "Certificate Sign, CRL Sign", "X509v3 Subject Key Identifier"] {
            #expect(caText.output.contains(expected), "missing \(expected)")
        }
    }

    @Test func opensslVerifiesTheChainFileAndReadsTheKey() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "OpenSSL Test CA")
        try ca.save(to: folder.tls)
        try ca.issue(for: Self.identity, keyType: .rsa2048).save(to: folder.tls)
        let paths = folder.tls

        // The chain file's first certificate is the leaf, which verifies against the CA.
        let chain = try OpenSSL.run(["verify", "-CAfile", paths.caCertificate, "-untrusted", paths.serverChain, paths.serverChain])
        #expect(chain.status == 0, "\(chain.output)")

        // The key file belongs to the certificate.
        let keyPublic = try OpenSSL.run(["pkey", "-in", paths.serverKey, "-pubout"])
        let certificatePublic = try OpenSSL.run(["x509", "-in", paths.serverCertificate, "-noout", "-pubkey"])
        #expect(keyPublic.status == 0)
        #expect(keyPublic.output == certificatePublic.output)
    }

    @Test func opensslAcceptsTheSelfSignedCertificateAsItsOwnAnchor() throws {
        let folder = try TemporaryDirectory()
        try SelfSignedCertificate.make(for: Self.identity).save(to: folder.tls)
        let paths = folder.tls
        let verify = try OpenSSL.run(["verify", "-CAfile", paths.serverCertificate, "-verify_hostname", "mail.example.org", paths.serverCertificate])
        #expect(verify.status == 0, "\(verify.output)")
        let text = try OpenSSL.run(["x509", "-noout", "-text", "-in", paths.serverCertificate])
        #expect(text.output.contains("CA:FALSE"))
    }

    @Test func summaryFingerprintMatchesOpenSSL() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Fingerprint CA")
        try ca.save(to: folder.tls)
        let server = try ca.issue(for: Self.identity)
        try server.save(to: folder.tls)
        let summary = try server.summary()
        let output = try OpenSSL.run(["x509", "-noout", "-fingerprint", "-sha256", "-serial", "-in", folder.tls.serverCertificate]).output
        #expect(output.contains("=\(summary.sha256Fingerprint)\n"), "\(output) vs \(summary.sha256Fingerprint)")
        #expect(output.lowercased().contains("serial=\(summary.serialNumber)"))
        #expect(summary.names == ["mail.example.org", "localhost", "127.0.0.1", "::1"])
        #expect(summary.commonName == "mail.example.org")
        #expect(summary.issuerCommonName == "Fingerprint CA")
        #expect(summary.keyDescription == "ECDSA P-256")
        #expect(try ca.summary().commonName == ca.name)
    }
}
