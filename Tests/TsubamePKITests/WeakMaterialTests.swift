import Foundation
import Testing
import X509
import _CryptoExtras
@testable import TsubamePKI

/// RSA under 2048 bits, MD5, SHA-1 and over-long server certificates are refused, with the reason.
@Suite struct WeakMaterialTests {
    static let identity = try! ServerIdentity(hosts: ["mail.example.org"], ipAddresses: ["127.0.0.1"])
    static let rsaReason = "RSA keys under 2048 bits are refused"

    @Test func loadingACAWithAnRSA1024KeyIsRefused() throws {
        let strongCA = try CertificateAuthority.create(name: "Test CA")
        let certificatePEM = try strongCA.certificate.serializeAsPEM().pemString
        for keyPEM in [WeakFixtures.rsa1024KeyPKCS8, WeakFixtures.rsa1024KeyPKCS1] {
            expectRefusal(.weakKey, containing: Self.rsaReason) {
                _ = try CertificateAuthority.load(certificatePEM: certificatePEM, keyPEM: keyPEM)
            }
            expectRefusal(.weakKey, containing: "has a 1024-bit RSA key") {
                _ = try SigningKey(pemEncoded: keyPEM)
            }
        }
    }

    @Test func loadingACAWithAnRSA1024KeyFromDiskIsRefused() throws {
        let folder = try TemporaryDirectory()
        try CertificateAuthority.create(name: "Test CA").save(to: folder.tls)
        try PEMFiles.writeAtomically([PEMFiles.Entry(path: folder.tls.caKey, text: WeakFixtures.rsa1024KeyPKCS8, mode: 0o600)])
        expectRefusal(.weakKey, containing: "\(folder.tls.caKey) has a 1024-bit RSA key") {
            _ = try CertificateAuthority.load(paths: folder.tls)
        }
    }

    @Test func aCACertificateWithAnRSA1024PublicKeyIsRefused() throws {
        expectRefusal(.weakKey, containing: Self.rsaReason) {
            _ = try PEMFiles.parseCertificates(WeakFixtures.rsa1024CACertificate, what: "ca.pem")
        }
    }

    @Test func generatedRSA1024KeyIsRefused() throws {
        let key = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        expectRefusal(.weakKey, containing: Self.rsaReason) {
            _ = try SigningKey(pemEncoded: key.pkcs8PEMRepresentation)
        }
    }

    @Test func rsa512KeyIsRefusedWithItsSize() throws {
        expectRefusal(.weakKey, containing: "has a 512-bit RSA key") {
            _ = try SigningKey(pemEncoded: WeakFixtures.rsa512Key, what: "the key")
        }
    }

    @Test func sha1SignedCertificateIsRefused() throws {
        expectRefusal(.weakSignature, containing: "SHA-1 signatures are refused") {
            _ = try PEMFiles.parseCertificates(WeakFixtures.sha1Certificate, what: "old.pem")
        }
        expectRefusal(.weakSignature, containing: "old.pem is signed with sha1WithRSAEncryption") {
            _ = try PEMFiles.parseCertificates(WeakFixtures.sha1Certificate, what: "old.pem")
        }
    }

    @Test func sha1SignedCACertificateOnDiskIsRefused() throws {
        let folder = try TemporaryDirectory()
        try PEMFiles.prepareDirectory(folder.tls.directory)
        try PEMFiles.writeAtomically([
            PEMFiles.Entry(path: folder.tls.caCertificate, text: WeakFixtures.sha1Certificate, mode: 0o644),
            PEMFiles.privateKeyEntry(try SigningKey.generate(.rsa2048), path: folder.tls.caKey),
        ])
        expectRefusal(.weakSignature, containing: "SHA-1 signatures are refused") {
            _ = try CertificateAuthority.load(paths: folder.tls)
        }
    }

    @Test func md5SignedCertificateIsRefused() throws {
        expectRefusal(.weakSignature, containing: "MD5 signatures are refused") {
            _ = try PEMFiles.parseCertificates(WeakFixtures.md5Certificate)
        }
    }

    @Test func aSHA1CertificateAnywhereInAChainIsRefused() throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        let chain = try ca.issue(for: Self.identity).certificate.serializeAsPEM().pemString + "\n" + WeakFixtures.sha1Certificate
        expectRefusal(.weakSignature, containing: "certificate 2 in chain.pem") {
            _ = try PEMFiles.parseCertificates(chain, what: "chain.pem")
        }
    }

    @Test func serverCertificatesOver397DaysAreRefused() throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        expectRefusal(.invalidRequest, containing: "at most 397 days (asked for 398)") {
            _ = try ca.issue(for: Self.identity, days: 398)
        }
        expectRefusal(.invalidRequest, containing: "at most 397 days") {
            _ = try SelfSignedCertificate.make(for: Self.identity, days: 398)
        }
        expectRefusal(.invalidRequest, containing: "at least 1") {
            _ = try ca.issue(for: Self.identity, days: 0)
        }
        _ = try ca.issue(for: Self.identity, days: 397)
    }

    @Test func aServerCertificateMayNotOutliveItsCA() throws {
        let ca = try CertificateAuthority.create(name: "Short CA", days: 30)
        expectRefusal(.invalidRequest, containing: "expires on") {
            _ = try ca.issue(for: Self.identity, days: 31)
        }
        #expect(ca.daysLeft() == 29 || ca.daysLeft() == 30)
        _ = try ca.issue(for: Self.identity, days: ca.daysLeft())
    }

    @Test func anExpiredCAIssuesNothing() throws {
        let past = Date().addingTimeInterval(-40 * 86_400)
        let ca = try CertificateAuthority.create(name: "Old CA", days: 30, now: past)
        expectRefusal(.invalidRequest, containing: "expired on") {
            _ = try ca.issue(for: Self.identity, days: 1)
        }
    }

    @Test func weakOrUnknownKeyTypeNamesAreRefused() throws {
        expectRefusal(.weakKey, containing: Self.rsaReason) { _ = try KeyType(parsing: "rsa-1024") }
        expectRefusal(.invalidRequest, containing: "ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096") {
            _ = try KeyType(parsing: "dsa-1024")
        }
        #expect(try KeyType(parsing: "RSA-3072") == .rsa3072)
        #expect(KeyType.default == .ecdsaP256)
    }

    @Test func aKeyThatIsNotTheCAsIsRefused() throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        let otherKey = try SigningKey.generate(.ecdsaP256)
        expectRefusal(.invalidMaterial, containing: "is not the key of") {
            _ = try CertificateAuthority.load(certificatePEM: try ca.certificate.serializeAsPEM().pemString, keyPEM: otherKey.pem)
        }
    }

    @Test func aServerCertificateCannotActAsTheCA() throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        let server = try ca.issue(for: Self.identity)
        expectRefusal(.invalidMaterial, containing: "is not a CA certificate") {
            _ = try CertificateAuthority.load(
                certificatePEM: try server.certificate.serializeAsPEM().pemString, keyPEM: server.key.pem)
        }
    }

    @Test func encryptedKeysAndOtherBlocksAreExplained() throws {
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        expectRefusal(.unsupported, containing: "encrypted with a passphrase") { _ = try SigningKey(pemEncoded: encrypted) }
        expectRefusal(.invalidMaterial, containing: "not a private key") {
            _ = try SigningKey(pemEncoded: WeakFixtures.sha1Certificate)
        }
        expectRefusal(.invalidMaterial, containing: "not a PEM file") { _ = try SigningKey(pemEncoded: "hello") }
    }

    @Test func keysNeverAppearInDescriptions() throws {
        let key = try SigningKey.generate(.ecdsaP256)
        let server = try CertificateAuthority.create(name: "Test CA").issue(for: Self.identity)
        var dumped = ""
        dump(server, to: &dumped)
        for text in [key.description, String(reflecting: key), "\(key)", dumped] {
            #expect(!text.contains("PRIVATE KEY"))
        }
        #expect(key.description == "ECDSA P-256 private key")
    }
}
