import Foundation
import Testing
import X509
@testable import TsubamePKI

/// Modes, replacement and the first-run setup of DIR/tls.
@Suite struct FileTests {
    static let identity = try! ServerIdentity(hosts: ["mail.example.org"], ipAddresses: ["127.0.0.1"])

    @Test func keysAre0600CertificatesAre0644AndTheDirectory0700() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Test CA")
        try ca.save(to: folder.tls)
        try ca.issue(for: Self.identity).save(to: folder.tls)
        #expect(try mode(of: folder.tls.directory) == 0o700)
        #expect(try mode(of: folder.tls.caKey) == 0o600)
        #expect(try mode(of: folder.tls.serverKey) == 0o600)
        #expect(try mode(of: folder.tls.caCertificate) == 0o644)
        #expect(try mode(of: folder.tls.serverCertificate) == 0o644)
        #expect(try mode(of: folder.tls.serverChain) == 0o644)
        #expect(try readFile(folder.tls.serverKey).hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(try readFile(folder.tls.caKey).hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        // Nothing but the five files: no temporary files left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.tls.directory).sorted()
        #expect(names == ["ca-key.pem", "ca.pem", "server-chain.pem", "server-key.pem", "server.pem"])
    }

    @Test func aLooseTLSDirectoryAndLooseKeyFilesAreTightened() throws {
        let folder = try TemporaryDirectory()
        #expect(mkdir(folder.tls.directory, 0o755) == 0)
        #expect(chmod(folder.tls.directory, 0o755) == 0)
        try PEMFiles.writeAtomically([PEMFiles.Entry(path: folder.tls.serverKey, text: "old\n", mode: 0o644)])
        #expect(try mode(of: folder.tls.serverKey) == 0o644)

        try SelfSignedCertificate.make(for: Self.identity).save(to: folder.tls)
        #expect(try mode(of: folder.tls.directory) == 0o700)
        #expect(try mode(of: folder.tls.serverKey) == 0o600)
        #expect(try readFile(folder.tls.serverKey) != "old\n")
    }

    @Test func issuingAgainReplacesTheServerFiles() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Test CA")
        try ca.save(to: folder.tls)
        try ca.issue(for: Self.identity).save(to: folder.tls)
        let firstKey = try readFile(folder.tls.serverKey)
        let firstChain = try readFile(folder.tls.serverChain)
        try ca.issue(for: Self.identity).save(to: folder.tls)
        #expect(try readFile(folder.tls.serverKey) != firstKey)
        #expect(try readFile(folder.tls.serverChain) != firstChain)
        let chain = try PEMFiles.readCertificates(folder.tls.serverChain)
        #expect(try PEMFiles.readPrivateKey(folder.tls.serverKey).publicKey == chain[0].publicKey)
    }

    @Test func selfSignedChainIsJustTheLeaf() throws {
        let folder = try TemporaryDirectory()
        try SelfSignedCertificate.make(for: Self.identity).save(to: folder.tls)
        let chain = try PEMFiles.readCertificates(folder.tls.serverChain)
        #expect(chain == (try PEMFiles.readCertificates(folder.tls.serverCertificate)))
        #expect(chain.count == 1)
    }

    @Test func loadingWithoutACASaysToRunCAInit() throws {
        let folder = try TemporaryDirectory()
        expectRefusal(.missingCA, containing: "tsubame ca init") { _ = try CertificateAuthority.load(paths: folder.tls) }
    }

    @Test func ensureCreatesTheCAAndAServerCertificateOnce() async throws {
        let folder = try TemporaryDirectory()
        #expect(try ServerCertificateSetup.ensure(paths: folder.tls, hostname: "mail.example.org"))
        #expect(try mode(of: folder.tls.directory) == 0o700)
        #expect(try mode(of: folder.tls.caKey) == 0o600)
        #expect(try mode(of: folder.tls.serverKey) == 0o600)

        let ca = try CertificateAuthority.load(paths: folder.tls)
        #expect(ca.name == "Tsubame Private CA (mail.example.org)")
        let chain = try PEMFiles.readCertificates(folder.tls.serverChain)
        #expect(chain.count == 2)
        for (host, ip) in [("mail.example.org", nil), ("localhost", nil), (nil, "127.0.0.1"), (nil, "::1")] as [(String?, String?)] {
            #expect(await verifies(chain, roots: [ca.certificate], host: host, ip: ip))
        }
        let chainText = try readFile(folder.tls.serverChain)

        // Everything is there: nothing is touched.
        #expect(try !ServerCertificateSetup.ensure(paths: folder.tls, hostname: "mail.example.org"))
        #expect(try readFile(folder.tls.serverChain) == chainText)

        // A missing server key: a new server certificate from the same CA.
        #expect(unlink(folder.tls.serverKey) == 0)
        let caText = try readFile(folder.tls.caCertificate)
        #expect(try ServerCertificateSetup.ensure(paths: folder.tls, hostname: "mail.example.org"))
        #expect(try readFile(folder.tls.caCertificate) == caText)
        #expect(try readFile(folder.tls.serverChain) != chainText)
        let newChain = try PEMFiles.readCertificates(folder.tls.serverChain)
        #expect(await verifies(newChain, roots: [ca.certificate], host: "mail.example.org"))
        #expect(try PEMFiles.readPrivateKey(folder.tls.serverKey).publicKey == newChain[0].publicKey)
    }

    @Test func ensureWithAnIPAddressHostnameNamesItAsAnIP() async throws {
        let folder = try TemporaryDirectory()
        #expect(try ServerCertificateSetup.ensure(paths: folder.tls, hostname: "192.0.2.7"))
        let chain = try PEMFiles.readCertificates(folder.tls.serverChain)
        let roots = try PEMFiles.readCertificates(folder.tls.caCertificate)
        #expect(await verifies(chain, roots: roots, ip: "192.0.2.7"))
        #expect(await verifies(chain, roots: roots, host: "localhost"))
    }

    @Test func ensureRefusesAHalfPresentCA() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Test CA")
        try ca.save(to: folder.tls)
        #expect(unlink(folder.tls.caKey) == 0)
        expectRefusal(.missingCA, containing: "only one of ca.pem and ca-key.pem") {
            _ = try ServerCertificateSetup.ensure(paths: folder.tls, hostname: "mail.example.org")
        }
    }

    @Test func ensureIssuesNoFurtherThanAShortLivedCA() throws {
        let folder = try TemporaryDirectory()
        try CertificateAuthority.create(name: "Short CA", days: 100).save(to: folder.tls)
        #expect(try ServerCertificateSetup.ensure(paths: folder.tls, hostname: "mail.example.org"))
        let leaf = try PEMFiles.readCertificates(folder.tls.serverCertificate)[0]
        let ca = try PEMFiles.readCertificates(folder.tls.caCertificate)[0]
        #expect(leaf.notValidAfter <= ca.notValidAfter)
    }

    @Test func tlsPathsAreUnderTheDataFolder() {
        let paths = TLSPaths(dataDirectory: "/var/lib/tsubame/")
        #expect(paths.directory == "/var/lib/tsubame/tls")
        #expect(paths.caCertificate == "/var/lib/tsubame/tls/ca.pem")
        #expect(paths.caKey == "/var/lib/tsubame/tls/ca-key.pem")
        #expect(paths.serverCertificate == "/var/lib/tsubame/tls/server.pem")
        #expect(paths.serverKey == "/var/lib/tsubame/tls/server-key.pem")
        #expect(paths.serverChain == "/var/lib/tsubame/tls/server-chain.pem")
    }
}
