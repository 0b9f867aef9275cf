import Foundation
import SwiftASN1
import Testing
import X509
@testable import TsubamePKI

/// `cert csr`, `ca sign`, `cert install` and `cert show`, as library calls.
struct CertificateWorkflowTests {
    static let identity = try! ServerIdentity(hosts: ["mail.example.org", "example.org"], ipAddresses: ["192.0.2.1"])
    static let daySeconds: TimeInterval = 86_400

    /// A CA made 200 days ago, so tests can issue certificates that are already expired.
    static func authority(keyType: KeyType = .ecdsaP256) throws -> CertificateAuthority {
        try CertificateAuthority.create(name: "Workflow Test CA", keyType: keyType, now: Date() - 200 * daySeconds)
    }

    static func pem(_ certificates: [Certificate]) throws -> String {
        try certificates.map { try $0.serializeAsPEM().pemString + "\n" }.joined()
    }

    // MARK: cert csr

    @Test func signingRequestRoundTripsWithItsNamesAndAValidSignature() throws {
        let folder = try TemporaryDirectory()
        let (request, key) = try SigningRequest.make(for: Self.identity, keyType: .ecdsaP384)
        try request.save(key: key, to: folder.tls)
        #expect(try mode(of: folder.tls.requestKey) == 0o600)
        #expect(try readFile(folder.tls.request).hasPrefix("-----BEGIN CERTIFICATE REQUEST-----"))

        let parsed = try SigningRequest(pemEncoded: try readFile(folder.tls.request))
        #expect(try parsed.identity() == Self.identity)
        #expect(CertificateSummary.commonName(parsed.request.subject) == "mail.example.org")
        #expect(parsed.request.publicKey == key.publicKey)
        #expect(parsed.request.publicKey.isValidSignature(parsed.request.signature, for: parsed.request))
        #expect(try SigningKey(pemEncoded: try readFile(folder.tls.requestKey)).publicKey == key.publicKey)
    }

    @Test func tamperedSigningRequestIsRefused() throws {
        let (request, _) = try SigningRequest.make(for: Self.identity)
        var serializer = DER.Serializer()
        try serializer.serialize(request.request)
        var der = serializer.serializedBytes
        der[der.count - 1] ^= 0x01
        let tampered = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
        expectRefusal(.invalidMaterial, containing: "does not verify") {
            _ = try SigningRequest(pemEncoded: tampered)
        }
    }

    @Test func certificateIsNotASigningRequest() throws {
        let ca = try Self.authority()
        expectRefusal(.invalidMaterial, containing: "not a CERTIFICATE REQUEST") {
            _ = try SigningRequest(pemEncoded: try ca.certificate.serializeAsPEM().pemString)
        }
    }

    // MARK: ca sign

    @Test(arguments: [KeyType.ecdsaP256, .rsa2048])
    func signedRequestChainVerifies(keyType: KeyType) async throws {
        let ca = try Self.authority()
        let (request, key) = try SigningRequest.make(for: Self.identity, keyType: keyType)
        let chain = try ca.sign(try SigningRequest(pemEncoded: try request.pem), days: 90)
        #expect(chain.count == 2)
        #expect(chain[0].publicKey == key.publicKey)
        #expect(chain[1] == ca.certificate)
        #expect(await verifies(chain, roots: [ca.certificate], host: "mail.example.org"))
        #expect(await verifies(chain, roots: [ca.certificate], ip: "192.0.2.1"))
        #expect(!(await verifies(chain, roots: [ca.certificate], host: "evil.example.org")))
        #expect(try chain[0].extensions.basicConstraints == .notCertificateAuthority)
        #expect(try chain[0].extensions.keyUsage?.keyEncipherment == keyType.isRSA)
        let summary = try CertificateSummary(chain[0])
        #expect(summary.names == ["mail.example.org", "example.org", "192.0.2.1"])
    }

    @Test func signingRefusesMoreThan397Days() throws {
        let ca = try Self.authority()
        let (request, _) = try SigningRequest.make(for: Self.identity)
        expectRefusal(.invalidRequest, containing: "at most 397 days") {
            _ = try ca.sign(request, days: 398)
        }
    }

    // MARK: cert install

    static func issuedChain(
        ca: CertificateAuthority, days: Int = 90, now: Date = Date()
    ) throws -> (chainPEM: String, key: SigningKey) {
        let (request, key) = try SigningRequest.make(for: identity)
        return (try pem(try ca.sign(request, days: days, now: now)), key)
    }

    @Test func goodChainIsInstalled() async throws {
        let folder = try TemporaryDirectory()
        let ca = try Self.authority()
        let (chainPEM, key) = try Self.issuedChain(ca: ca)
        // The chain's own self-signed last certificate is the anchor: no ca.pem needed.
        let server = try await onThread { try ChainInstallation.check(chainPEM: chainPEM, keyPEM: key.pem, trusted: [], hostname: "MAIL.example.org.") }
        try server.save(to: folder.tls)
        #expect(try mode(of: folder.tls.serverKey) == 0o600)
        #expect(try PEMFiles.readCertificates(folder.tls.serverChain).count == 2)
        #expect(try PEMFiles.readCertificates(folder.tls.serverCertificate) == [server.certificate])
        #expect(try PEMFiles.readPrivateKey(folder.tls.serverKey).publicKey == key.publicKey)
    }

    @Test func leafAloneInstallsWhenItsIssuerIsTheTrustedCA() async throws {
        let ca = try Self.authority()
        let (request, key) = try SigningRequest.make(for: Self.identity)
        let leafPEM = try Self.pem([try ca.sign(request)[0]])
        _ = try await onThread { try ChainInstallation.check(chainPEM: leafPEM, keyPEM: key.pem, trusted: [ca.certificate], hostname: "example.org") }
        await expectRefusalOffPool(.invalidMaterial, containing: "does not verify") {
            _ = try ChainInstallation.check(chainPEM: leafPEM, keyPEM: key.pem, trusted: [], hostname: "example.org")
        }
    }

    @Test func installRefusesTheWrongKey() async throws {
        let (chainPEM, _) = try Self.issuedChain(ca: try Self.authority())
        let other = try SigningKey.generate(.ecdsaP256)
        await expectRefusalOffPool(.invalidMaterial, containing: "public keys differ") {
            _ = try ChainInstallation.check(chainPEM: chainPEM, keyPEM: other.pem, trusted: [], hostname: "mail.example.org")
        }
    }

    @Test func installRefusesAHostMismatch() async throws {
        let (chainPEM, key) = try Self.issuedChain(ca: try Self.authority())
        await expectRefusalOffPool(.invalidRequest, containing: "not for imap.example.net") {
            _ = try ChainInstallation.check(chainPEM: chainPEM, keyPEM: key.pem, trusted: [], hostname: "imap.example.net")
        }
    }

    @Test func installRefusesAnExpiredCertificate() async throws {
        let (chainPEM, key) = try Self.issuedChain(ca: try Self.authority(), days: 30, now: Date() - 100 * Self.daySeconds)
        await expectRefusalOffPool(.invalidRequest, containing: "expired on") {
            _ = try ChainInstallation.check(chainPEM: chainPEM, keyPEM: key.pem, trusted: [], hostname: "mail.example.org")
        }
    }

    @Test func installRefusesAChainFromAnotherCA() async throws {
        let (chainPEM, key) = try Self.issuedChain(ca: try Self.authority())
        let leafOnly = try Self.pem([try PEMFiles.parseCertificates(chainPEM)[0]])
        let stranger = try Self.authority()
        await expectRefusalOffPool(.invalidMaterial, containing: "does not verify") {
            _ = try ChainInstallation.check(chainPEM: leafOnly, keyPEM: key.pem, trusted: [stranger.certificate], hostname: "mail.example.org")
        }
    }

    @Test func installRefusesWeakMaterial() async throws {
        let (chainPEM, _) = try Self.issuedChain(ca: try Self.authority())
        await expectRefusalOffPool(.weakKey, containing: "1024-bit") {
            _ = try ChainInstallation.check(
                chainPEM: chainPEM, keyPEM: WeakFixtures.rsa1024KeyPKCS8, trusted: [], hostname: "mail.example.org")
        }
    }

    // MARK: cert show

    @Test func reportOfAGoodCertificate() async throws {
        let ca = try Self.authority()
        let (request, _) = try SigningRequest.make(for: Self.identity)
        let chain = try ca.sign(request, days: 90)
        let report = try await onThread { try CertificateReport(chain: chain, roots: [ca.certificate], host: "mail.example.org") }
        #expect(report.isUsable, "\(report.problems)")
        #expect(report.problems.isEmpty && report.warnings.isEmpty)
        #expect(report.verificationFailure == nil)
        #expect(report.hostMatches)
        #expect(report.daysLeft == 89)
        #expect(report.summary.names == ["mail.example.org", "example.org", "192.0.2.1"])
        #expect(report.summary.keyDescription == "ECDSA P-256")
        #expect(report.subject == "CN=mail.example.org")
        #expect(report.issuer == "CN=Workflow Test CA")
        #expect(report.signatureAlgorithm.contains("SHA256"))
        let extensions = report.extensions.joined(separator: "\n")
        for expected in ["BasicConstraints", "KeyUsage", "ExtendedKeyUsage", "SubjectKeyIdentifier", "AuthorityKeyIdentifier", "SubjectAlternativeName"] {
            #expect(extensions.contains(expected), "missing \(expected)")
        }
        #expect(extensions.contains("SubjectAlternativeName: DNS:mail.example.org, DNS:example.org, IP:192.0.2.1"))
        // key identifiers as clients show them: 20 octets, two hex digits each
        let identifiers = report.extensions.filter { $0.hasPrefix("SubjectKeyIdentifier: ") || $0.hasPrefix("AuthorityKeyIdentifier: keyid ") }
        #expect(identifiers.count == 2)
        for line in identifiers {
            let hex = line.split(separator: " ").last.map(String.init) ?? ""
            #expect(hex.split(separator: ":").count == 20 && hex.split(separator: ":").allSatisfy { $0.count == 2 }, "\(line)")
        }
        #expect(report.lines.last == "Result: usable")
        #expect(report.lines.contains { $0.contains(report.summary.sha256Fingerprint) })
    }

    @Test func reportOfAnExpiredCertificateIsUnusable() async throws {
        let ca = try Self.authority()
        let (request, _) = try SigningRequest.make(for: Self.identity)
        let chain = try ca.sign(request, days: 30, now: Date() - 100 * Self.daySeconds)
        let report = try await onThread { try CertificateReport(chain: chain, roots: [ca.certificate], host: "mail.example.org") }
        #expect(!report.isUsable)
        #expect(report.problems.contains { $0.hasPrefix("expired on") })
        #expect(report.daysLeft < 0)
    }

    @Test func reportWarnsBeforeExpiry() async throws {
        let ca = try Self.authority()
        let (request, _) = try SigningRequest.make(for: Self.identity)
        let report = try await onThread { try CertificateReport(chain: try ca.sign(request, days: 10), roots: [ca.certificate], host: "example.org") }
        #expect(report.isUsable)
        #expect(report.warnings.contains { $0.hasPrefix("expires in 9 days") })
    }

    @Test func reportOfTheWrongHostIsUnusable() async throws {
        let ca = try Self.authority()
        let (request, _) = try SigningRequest.make(for: Self.identity)
        let report = try await onThread { try CertificateReport(chain: try ca.sign(request), roots: [ca.certificate], host: "smtp.example.net") }
        #expect(!report.isUsable)
        #expect(!report.hostMatches)
        #expect(report.problems.contains { $0.contains("not valid for smtp.example.net") })
    }

    @Test func reportOfAnUntrustedChainIsUnusable() async throws {
        let ca = try Self.authority()
        let (request, _) = try SigningRequest.make(for: Self.identity)
        let report = try await onThread { try CertificateReport(chain: [try ca.sign(request)[0]], roots: [try Self.authority().certificate], host: nil) }
        #expect(!report.isUsable)
        #expect(report.verificationFailure != nil)
    }

    @Test func reportOfASelfSignedCertificateWarns() async throws {
        let server = try SelfSignedCertificate.make(for: Self.identity)
        let report = try await onThread { try CertificateReport(chain: server.chain, roots: [], host: "mail.example.org") }
        #expect(report.isUsable, "\(report.problems)")
        #expect(report.warnings.contains { $0.hasPrefix("self-signed") })
    }

    @Test func weakCertificatesAreRefusedWithTheReason() throws {
        let folder = try TemporaryDirectory()
        try PEMFiles.prepareDirectory(folder.tls.directory)
        let path = "\(folder.tls.directory)/weak.pem"
        try PEMFiles.writeAtomically([PEMFiles.Entry(path: path, text: WeakFixtures.sha1Certificate, mode: 0o644)])
        expectRefusal(.weakSignature, containing: "SHA-1") {
            _ = try CertificateReport.inspect(file: path, trustedFile: nil, host: nil)
        }
        try PEMFiles.writeAtomically([PEMFiles.Entry(path: path, text: WeakFixtures.rsa1024CACertificate, mode: 0o644)])
        expectRefusal(.weakKey, containing: "1024-bit") {
            _ = try CertificateReport.inspect(file: path, trustedFile: nil, host: nil)
        }
    }

    @Test func hostMatchingFollowsRFC6125() throws {
        let certificate = try SelfSignedCertificate.make(
            for: try ServerIdentity(hosts: ["*.example.org", "mail.example.net"], ipAddresses: ["::1"])).certificate
        #expect(ChainVerification.matches(certificate, host: "mail.example.org"))
        #expect(ChainVerification.matches(certificate, host: "MAIL.EXAMPLE.NET."))
        #expect(ChainVerification.matches(certificate, host: "0:0:0:0:0:0:0:1"))
        #expect(!ChainVerification.matches(certificate, host: "example.org"))
        #expect(!ChainVerification.matches(certificate, host: "a.b.example.org"))
        #expect(!ChainVerification.matches(certificate, host: "127.0.0.1"))
    }

    @Test func configScanReadsHostnameAndTableKeys() {
        let text = """
            # comment
            hostname = "mail.example.org"
            [tls]
            crl_url = "http://mail.example.org/ca.crl"
            [other]
            hostname = "ignored"
            """
        #expect(ConfigScan.string("hostname", in: text) == "mail.example.org")
        #expect(ConfigScan.string("crl_url", table: "tls", in: text) == "http://mail.example.org/ca.crl")
        #expect(ConfigScan.string("crl_url", in: text) == nil)
    }
}

/// Requests and signed chains, as the openssl command line sees them.
@Suite(.enabled(if: OpenSSL.isAvailable, "needs the openssl command line"))
struct SigningRequestOpenSSLTests {
    @Test func opensslVerifiesOurRequestAndTheChainSignedFromIt() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "OpenSSL Sign CA")
        try ca.save(to: folder.tls)
        let (request, key) = try SigningRequest.make(for: CertificateWorkflowTests.identity, keyType: .rsa2048)
        try request.save(key: key, to: folder.tls)

        let check = try OpenSSL.run(["req", "-in", folder.tls.request, "-noout", "-verify", "-text"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("verify OK") || check.output.contains("Certificate request self-signature verify OK"))
        #expect(check.output.contains("DNS:mail.example.org, DNS:example.org, IP Address:192.0.2.1"))

        let chainPath = "\(folder.tls.directory)/request.crt.pem"
        try PEMFiles.writeCertificates(try ca.sign(try SigningRequest(pemEncoded: try readFile(folder.tls.request))), to: chainPath)
        let verify = try OpenSSL.run(["verify", "-x509_strict", "-CAfile", folder.tls.caCertificate, "-verify_hostname", "mail.example.org", chainPath])
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test func opensslMadeRequestIsSignedButAnRSA1024OneIsRefused() throws {
        let folder = try TemporaryDirectory()
        let good = "\(folder.path)/good.csr"
        let made = try OpenSSL.run([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(folder.path)/good.key",
            "-subj", "/CN=mx.example.org", "-addext", "subjectAltName=DNS:mx.example.org,DNS:mail.example.org", "-out", good,
        ])
        #expect(made.status == 0, "\(made.output)")
        let request = try SigningRequest(pemEncoded: try readFile(good))
        #expect(try request.identity().dnsNames == ["mx.example.org", "mail.example.org"])

        let weak = "\(folder.path)/weak.csr"
        let weakMade = try OpenSSL.run([
            "req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", "\(folder.path)/weak.key", "-subj", "/CN=mx.example.org", "-out", weak,
        ])
        #expect(weakMade.status == 0, "\(weakMade.output)")
        expectRefusal(.weakKey, containing: "1024-bit") {
            _ = try SigningRequest(pemEncoded: try readFile(weak))
        }
    }
}
