import Foundation
import SwiftASN1
import Testing
import X509
@testable import TsubamePKI

/// The fields and extensions of what Tsubame issues, read back from the PEM files.
@Suite struct CertificateExtensionTests {
    static let identity = try! ServerIdentity(
        hosts: ["mail.example.org", "localhost"], ipAddresses: ["127.0.0.1", "::1", "192.0.2.25"])

    /// Saves a CA and a server certificate, then parses the files back.
    static func issueAndReadBack(caKey: KeyType, serverKey: KeyType, now: Date = Date())
        throws -> (ca: Certificate, leaf: Certificate, chain: [Certificate])
    {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Extension Test CA", keyType: caKey, now: now)
        try ca.save(to: folder.tls)
        try ca.issue(for: identity, keyType: serverKey, now: now).save(to: folder.tls)
        return (try PEMFiles.readCertificates(folder.tls.caCertificate)[0],
                try PEMFiles.readCertificates(folder.tls.serverCertificate)[0],
                try PEMFiles.readCertificates(folder.tls.serverChain))
    }

    static func isCritical(_ certificate: Certificate, _ oid: ASN1ObjectIdentifier) -> Bool {
        certificate.extensions[oid: oid]?.critical == true
    }

    @Test(arguments: [KeyType.ecdsaP256, .ecdsaP384, .rsa2048])
    func caIsASelfSignedV3RootLimitedToSigningLeaves(keyType: KeyType) throws {
        let now = Date()
        let (ca, _, _) = try Self.issueAndReadBack(caKey: keyType, serverKey: .ecdsaP256, now: now)
        #expect(ca.version == .v3)
        #expect(ca.issuer == ca.subject)
        #expect(ca.subject == (try DistinguishedName { CommonName("Extension Test CA") }))
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(Self.isCritical(ca, .X509ExtensionID.basicConstraints))
        #expect(try ca.extensions.keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
        #expect(Self.isCritical(ca, .X509ExtensionID.keyUsage))
        let ski = try #require(try ca.extensions.subjectKeyIdentifier)
        #expect(ski.keyIdentifier.count == 20)
        #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
        let expected: Certificate.SignatureAlgorithm = keyType == .ecdsaP384 ? .ecdsaWithSHA384
            : keyType.isRSA ? .sha256WithRSAEncryption : .ecdsaWithSHA256
        #expect(ca.signatureAlgorithm == expected)
        // Ten years by default, counted inclusively from a notBefore five minutes back.
        #expect(abs(ca.notValidBefore.timeIntervalSince(now) + 300) < 2)
        #expect(ca.notValidAfter.timeIntervalSince(ca.notValidBefore) == 3650 * 86_400 - 1)
    }

    @Test(arguments: [KeyType.ecdsaP256, .ecdsaP384, .rsa2048])
    func serverCertificateHasTheServerProfile(keyType: KeyType) throws {
        let now = Date()
        let (ca, leaf, chain) = try Self.issueAndReadBack(caKey: .ecdsaP256, serverKey: keyType, now: now)
        #expect(chain == [leaf, ca])
        #expect(leaf.version == .v3)
        #expect(leaf.subject == (try DistinguishedName { CommonName("mail.example.org") }))
        #expect(leaf.issuer == ca.subject)

        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(Self.isCritical(leaf, .X509ExtensionID.basicConstraints))
        #expect(try leaf.extensions.keyUsage == KeyUsage(digitalSignature: true, keyEncipherment: keyType.isRSA))
        #expect(Self.isCritical(leaf, .X509ExtensionID.keyUsage))
        #expect(Array(try #require(try leaf.extensions.extendedKeyUsage)) == [.serverAuth])

        let names = Array(try #require(try leaf.extensions.subjectAlternativeNames))
        #expect(names == [
            .dnsName("mail.example.org"), .dnsName("localhost"),
            .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: [192, 0, 2, 25])),
        ])

        let ski = try #require(try leaf.extensions.subjectKeyIdentifier)
        let caSKI = try #require(try ca.extensions.subjectKeyIdentifier)
        let aki = try #require(try leaf.extensions.authorityKeyIdentifier)
        #expect(ski.keyIdentifier.count == 20)
        #expect(ski != caSKI)
        #expect(aki.keyIdentifier == caSKI.keyIdentifier)

        // A positive serial of at least 64 bits (here 16 bytes with the top bit clear).
        let serial = leaf.serialNumber.bytes
        #expect(serial.count >= 8)
        #expect(serial.count == 16)
        #expect(serial.first! & 0x80 == 0)

        #expect(abs(leaf.notValidBefore.timeIntervalSince(now) + 300) < 2)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) <= 397 * 86_400)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) == 397 * 86_400 - 1)
        #expect(leaf.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
    }

    @Test func shorterValidityIsHonoured() throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        let leaf = try ca.issue(for: Self.identity, days: 30).certificate
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) == 30 * 86_400 - 1)
    }

    @Test func serialNumbersAreRandom() throws {
        let ca = try CertificateAuthority.create(name: "Test CA")
        let serials = try (0..<5).map { _ in try ca.issue(for: Self.identity).certificate.serialNumber }
        #expect(Set(serials.map { Array($0.bytes) }).count == 5)
        #expect(ca.certificate.serialNumber.bytes.count == 16)
    }

    @Test func selfSignedCertificateHasTheServerProfileWithoutAuthority() throws {
        let leaf = try SelfSignedCertificate.make(for: Self.identity, keyType: .ecdsaP384, days: 10).certificate
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.keyUsage == KeyUsage(digitalSignature: true))
        #expect(Array(try #require(try leaf.extensions.extendedKeyUsage)) == [.serverAuth])
        #expect(try leaf.extensions.subjectKeyIdentifier != nil)
        #expect(try leaf.extensions.authorityKeyIdentifier == nil)
        #expect(leaf.signatureAlgorithm == .ecdsaWithSHA384)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) == 10 * 86_400 - 1)
    }

    @Test func privateKeysAreWrittenAsPKCS8() throws {
        for type in [KeyType.ecdsaP256, .ecdsaP384, .rsa2048] {
            let key = try SigningKey.generate(type)
            #expect(key.pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
            let reread = try SigningKey(pemEncoded: key.pem)
            #expect(reread.publicKey == key.publicKey)
            #expect(reread.keyType == type)
        }
    }
}
