import Foundation
import SwiftASN1
import Testing
import X509
@testable import TsubamePKI

/// CA → server chains, checked with swift-certificates' Verifier (RFC 5280 + RFC 6125).
@Suite struct CertificateChainTests {
    static let identity = try! ServerIdentity(
        hosts: ["mail.example.org", "localhost"], ipAddresses: ["127.0.0.1", "::1"])

    @Test(arguments: [KeyType.ecdsaP256, .ecdsaP384, .rsa2048])
    func issuedChainVerifiesForHostNameAndLoopbackIPs(keyType: KeyType) async throws {
        let ca = try CertificateAuthority.create(name: "Test CA", keyType: keyType)
        let server = try ca.issue(for: Self.identity, keyType: keyType)
        #expect(server.chain == [server.certificate, ca.certificate])
        #expect(await verifies(server.chain, roots: [ca.certificate], host: "mail.example.org"))
        #expect(await verifies(server.chain, roots: [ca.certificate], host: "localhost"))
        #expect(await verifies(server.chain, roots: [ca.certificate], ip: "127.0.0.1"))
        #expect(await verifies(server.chain, roots: [ca.certificate], ip: "::1"))
    }

    @Test(arguments: [KeyType.ecdsaP256, .rsa2048])
    func wrongHostNameOrIPFailsVerification(keyType: KeyType) async throws {
        let ca = try CertificateAuthority.create(name: "Test CA", keyType: keyType)
        let server = try ca.issue(for: Self.identity, keyType: keyType)
        #expect(!(await verifies(server.chain, roots: [ca.certificate], host: "evil.example.org")))
        #expect(!(await verifies(server.chain, roots: [ca.certificate], host: "example.org")))
        #expect(!(await verifies(server.chain, roots: [ca.certificate], ip: "10.0.0.1")))
    }

    @Test func chainFromAnotherCAFailsVerification() async throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        let other = try CertificateAuthority.create(name: "Test CA")
        let server = try other.issue(for: Self.identity)
        #expect(!(await verifies(server.chain, roots: [ca.certificate], host: "mail.example.org")))
    }

    @Test func mixedKeyTypesVerify() async throws {
        let p384CA = try CertificateAuthority.create(name: "P-384 CA", keyType: .ecdsaP384)
        let rsaLeaf = try p384CA.issue(for: Self.identity, keyType: .rsa2048)
        #expect(rsaLeaf.certificate.signatureAlgorithm == .ecdsaWithSHA384)
        #expect(await verifies(rsaLeaf.chain, roots: [p384CA.certificate], host: "mail.example.org"))

        let rsaCA = try CertificateAuthority.create(name: "RSA CA", keyType: .rsa2048)
        let p256Leaf = try rsaCA.issue(for: Self.identity, keyType: .ecdsaP256)
        #expect(p256Leaf.certificate.signatureAlgorithm == .sha256WithRSAEncryption)
        #expect(await verifies(p256Leaf.chain, roots: [rsaCA.certificate], ip: "127.0.0.1"))
    }

    @Test func rsa3072ChainVerifies() async throws {
        let ca = try CertificateAuthority.create(name: "RSA 3072 CA", keyType: .rsa3072)
        let server = try ca.issue(for: Self.identity, keyType: .rsa3072)
        #expect(await verifies(server.chain, roots: [ca.certificate], host: "mail.example.org"))
        #expect(ca.key.keyType == .rsa3072)
    }

    @Test func rsa4096ChainVerifies() async throws {
        let ca = try CertificateAuthority.create(name: "RSA 4096 CA", keyType: .rsa4096)
        let server = try ca.issue(for: Self.identity, keyType: .ecdsaP256)
        #expect(await verifies(server.chain, roots: [ca.certificate], host: "mail.example.org"))
        #expect(ca.key.keyType == .rsa4096)
    }

    @Test func chainReadBackFromDiskVerifies() async throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Disk CA")
        try ca.save(to: folder.tls)
        let loaded = try CertificateAuthority.load(paths: folder.tls)
        #expect(loaded.certificate == ca.certificate)
        try loaded.issue(for: Self.identity).save(to: folder.tls)

        let chain = try PEMFiles.readCertificates(folder.tls.serverChain)
        let roots = try PEMFiles.readCertificates(folder.tls.caCertificate)
        #expect(chain.count == 2)
        #expect(chain[0] == (try PEMFiles.readCertificates(folder.tls.serverCertificate))[0])
        #expect(await verifies(chain, roots: roots, host: "mail.example.org"))
        #expect(await verifies(chain, roots: roots, ip: "127.0.0.1"))
        #expect(!(await verifies(chain, roots: roots, host: "wrong.example.org")))

        let key = try PEMFiles.readPrivateKey(folder.tls.serverKey)
        #expect(key.publicKey == chain[0].publicKey)
    }

    /// The self-signed certificate keeps CA:FALSE: a user who trusts it trusts this one
    /// certificate, not a CA that could vouch for any name (and Firefox/Thunderbird refuse a CA
    /// certificate as a server certificate). swift-certificates' RFC5280Policy in turn accepts a
    /// leaf that is its own trust anchor only when it is a CA, so that policy is expected to
    /// refuse it; the identity check and the signature hold.
    @Test(arguments: [KeyType.ecdsaP256, .rsa2048])
    func selfSignedCertificateNamesTheServerAndSignsItself(keyType: KeyType) async throws {
        let server = try SelfSignedCertificate.make(for: Self.identity, keyType: keyType)
        let leaf = server.certificate
        #expect(server.isSelfSigned)
        #expect(server.chain == [leaf])
        #expect(leaf.issuer == leaf.subject)
        #expect(leaf.publicKey.isValidSignature(leaf.signature, for: leaf))

        func identityHolds(host: String? = nil, ip: String? = nil) async -> Bool {
            var verifier = Verifier(rootCertificates: CertificateStore([leaf])) {
                LeafConstraintsAcknowledged()
                ServerIdentityPolicy(serverHostname: host, serverIP: ip)
            }
            if case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore()) { return true }
            return false
        }
        #expect(await identityHolds(host: "mail.example.org"))
        #expect(await identityHolds(ip: "::1"))
        #expect(!(await identityHolds(host: "evil.example.org")))
        #expect(!(await verifies(server.chain, roots: [leaf], host: "mail.example.org")))
        let ca = try CertificateAuthority.create(name: "Unrelated CA")
        #expect(!(await verifies(server.chain, roots: [ca.certificate], host: "mail.example.org")))
    }

    /// Claims the critical BasicConstraints and KeyUsage extensions so the Verifier runs
    /// ServerIdentityPolicy on a self-signed end-entity certificate without RFC5280Policy.
    struct LeafConstraintsAcknowledged: VerifierPolicy {
        let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
            .X509ExtensionID.basicConstraints, .X509ExtensionID.keyUsage,
        ]
        func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult { .meetsPolicy }
    }

    @Test func wildcardHostVerifiesForOneLabelOnly() async throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        let server = try ca.issue(for: try ServerIdentity(hosts: ["*.example.org"]))
        #expect(await verifies(server.chain, roots: [ca.certificate], host: "mail.example.org"))
        #expect(!(await verifies(server.chain, roots: [ca.certificate], host: "a.mail.example.org")))
    }
}
