import Foundation
import Testing
import X509
@testable import TsubamePKI

@Suite("Certificate renewal")
struct CertificateRenewalTests {
    static let day: TimeInterval = 86_400
    static let identity = try! ServerIdentity(hosts: ["mail.example.org", "localhost"], ipAddresses: ["127.0.0.1", "::1"])

    func folderWithCA(days: Int = CertificateValidity.defaultCADays) throws -> (TemporaryDirectory, CertificateAuthority) {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Renewal Test CA", days: days)
        try ca.save(to: folder.tls)
        return (folder, ca)
    }

    func sniDirectory(_ folder: TemporaryDirectory) -> String { "\(folder.tls.directory)/sni" }

    func leaf(_ path: String) throws -> Certificate { try #require(try PEMFiles.readCertificates(path).first) }

    @Test func aCertificateWithUnder30DaysLeftIsRenewedWithTheSameNamesAndKeyType() throws {
        let (folder, ca) = try folderWithCA()
        let old = try ca.issue(for: Self.identity, keyType: .rsa3072, days: 20)
        try old.save(to: folder.tls)
        let outcome = try CertificateRenewal.run(
            paths: folder.tls, includeDefault: true, sniDirectory: sniDirectory(folder), crlURL: "http://crl.example.org/ca.crl")
        #expect(outcome.renewed.count == 1 && outcome.expiring.isEmpty)
        #expect(outcome.renewed.first?.names == ["mail.example.org", "localhost", "127.0.0.1", "::1"])
        let new = try leaf(folder.tls.serverChain)
        #expect(new.serialNumber != old.certificate.serialNumber)
        #expect(new.notValidAfter.timeIntervalSinceNow > 390 * Self.day)
        #expect(try CertificateSummary(new).names == ["mail.example.org", "localhost", "127.0.0.1", "::1"])
        #expect(try CertificateSummary(new).keyDescription == "RSA 3072-bit")
        #expect(try KeyAlgorithm(new.publicKey, what: "") == KeyAlgorithm(try PEMFiles.readPrivateKey(folder.tls.serverKey).publicKey, what: ""))
        #expect(new.extensions.contains { $0.oid == CertificateReport.crlDistributionPointsOID })
        #expect(try PEMFiles.readCertificates(folder.tls.serverChain).count == 2, "the chain still ends with the CA")
        #expect(IssuanceLog.find(try CertificateSerial(new.serialNumber), paths: folder.tls) != nil)
        #expect(try mode(of: folder.tls.serverKey) == 0o600)
    }

    @Test func aCertificateWithMoreThan30DaysLeftStays() throws {
        let (folder, ca) = try folderWithCA()
        try ca.issue(for: Self.identity, days: 60).save(to: folder.tls)
        let before = try readFile(folder.tls.serverChain)
        let outcome = try CertificateRenewal.run(paths: folder.tls, includeDefault: true, sniDirectory: sniDirectory(folder), crlURL: nil)
        #expect(outcome == CertificateRenewal.Outcome())
        #expect(try readFile(folder.tls.serverChain) == before)
        // 31 days later it is due
        let later = try CertificateRenewal.run(
            paths: folder.tls, includeDefault: true, sniDirectory: sniDirectory(folder), crlURL: nil, now: Date() + 31 * Self.day)
        #expect(later.renewed.count == 1)
    }

    @Test func sniCertificatesAreRenewedInTheirFolder() throws {
        let (folder, ca) = try folderWithCA()
        try ca.issue(for: Self.identity, days: 300).save(to: folder.tls)
        let sni = SNICertificateFolder.named("*.example.net", in: sniDirectory(folder))
        try ca.issue(for: try ServerIdentity(hosts: ["*.example.net"]), days: 5).save(to: sni)
        let outcome = try CertificateRenewal.run(paths: folder.tls, includeDefault: true, sniDirectory: sniDirectory(folder), crlURL: nil)
        #expect(outcome.renewed.map(\.location) == [sni.chain])
        #expect(try leaf(sni.chain).notValidAfter.timeIntervalSinceNow > 390 * Self.day)
        #expect(try sni.serverNames() == ["*.example.net"])
    }

    @Test func certificatesFromElsewhereAreReportedNotRenewed() throws {
        let (folder, _) = try folderWithCA()
        let other = try CertificateAuthority.create(name: "Some Public CA")
        try other.issue(for: Self.identity, days: 10).save(to: folder.tls)
        let selfSigned = SNICertificateFolder.named("self.example", in: sniDirectory(folder))
        try SelfSignedCertificate.make(for: try ServerIdentity(hosts: ["self.example"]), days: 3).save(to: selfSigned)
        let before = try readFile(folder.tls.serverChain)
        let outcome = try CertificateRenewal.run(paths: folder.tls, includeDefault: true, sniDirectory: sniDirectory(folder), crlURL: nil)
        #expect(outcome.renewed.isEmpty)
        #expect(outcome.expiring.map(\.location) == [folder.tls.serverChain, selfSigned.chain])
        #expect(outcome.expiring.allSatisfy { $0.reason.contains("not issued by the private CA") })
        #expect(try readFile(folder.tls.serverChain) == before)
    }

    @Test func theDefaultFilesAreLeftAloneWhenTheConfigNamesOthers() throws {
        let (folder, ca) = try folderWithCA()
        try ca.issue(for: Self.identity, days: 5).save(to: folder.tls)
        let outcome = try CertificateRenewal.run(paths: folder.tls, includeDefault: false, sniDirectory: sniDirectory(folder), crlURL: nil)
        #expect(outcome == CertificateRenewal.Outcome())
    }

    @Test func aCAAboutToExpireCannotRenew() throws {
        let (folder, ca) = try folderWithCA(days: 10)
        try ca.issue(for: Self.identity, days: 9).save(to: folder.tls)
        let outcome = try CertificateRenewal.run(paths: folder.tls, includeDefault: true, sniDirectory: sniDirectory(folder), crlURL: nil)
        #expect(outcome.renewed.isEmpty)
        #expect(outcome.expiring.first?.reason.contains("the private CA itself expires") == true)
    }
}
