import Foundation
import Testing
@testable import TsubamePKI

@Suite("CRL upkeep")
struct CRLUpkeepTests {
    static let day: TimeInterval = 86_400

    func folderWithCA() throws -> (TemporaryDirectory, CertificateAuthority) {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Upkeep Test CA")
        try ca.save(to: folder.tls)
        return (folder, ca)
    }

    @Test func aCRLIsReissuedWhenAThirdOfItsPeriodIsLeft() throws {
        let (folder, ca) = try folderWithCA()
        let start = Date()
        let crl = try Revocation.publish(authority: ca, paths: folder.tls, days: 30, now: start)
        #expect(!CRLUpkeep.needsReissue(crl, now: start + 19 * Self.day))
        #expect(CRLUpkeep.needsReissue(crl, now: start + 21 * Self.day))
        #expect(CRLUpkeep.needsReissue(crl, now: start + 31 * Self.day), "a stale CRL is always replaced")

        #expect(try CRLUpkeep.run(paths: folder.tls, crlURL: "", now: start + 19 * Self.day) == .fresh)
        let later = start + 21 * Self.day
        guard case .reissued(let number, let next) = try CRLUpkeep.run(paths: folder.tls, crlURL: "", now: later) else {
            Issue.record("a due CRL was not reissued"); return
        }
        #expect(number == (crl.number ?? 0) + 1)
        #expect(abs(next.timeIntervalSince(later) - 30 * Self.day) < 2, "the same 30-day period")
        let written = try #require(try Revocation.loadCRL(paths: folder.tls))
        #expect(written.number == number && written.isIssued(by: ca.certificate))
    }

    @Test func revokedSerialsSurviveTheReissue() throws {
        let (folder, ca) = try folderWithCA()
        let serial = try CertificateSerial(parsing: "0A:0B:0C")
        let start = Date()
        _ = try Revocation.revoke(serial, reason: .superseded, authority: ca, paths: folder.tls, crlDays: 3, now: start)
        _ = try CRLUpkeep.run(paths: folder.tls, crlURL: "", now: start + 2.5 * Self.day)
        let written = try #require(try Revocation.loadCRL(paths: folder.tls))
        #expect(written.revocation(of: serial)?.reason == .superseded)
        #expect(written.nextUpdate.map { abs($0.timeIntervalSince(start + 5.5 * Self.day)) < 2 } == true)
    }

    @Test func aFirstCRLIsMadeOnlyWhenAURLIsConfigured() throws {
        let (folder, _) = try folderWithCA()
        #expect(try CRLUpkeep.run(paths: folder.tls, crlURL: "") == .fresh)
        #expect(!PEMFiles.exists(folder.tls.crlPEM))
        guard case .reissued(let number, _) = try CRLUpkeep.run(paths: folder.tls, crlURL: "http://mail.example.org/ca.crl") else {
            Issue.record("no first CRL"); return
        }
        #expect(number == 1)
        #expect(PEMFiles.exists(folder.tls.crlPEM) && PEMFiles.exists(folder.tls.crlDER))
    }

    @Test func withoutACANothingHappens() throws {
        let folder = try TemporaryDirectory()
        #expect(try CRLUpkeep.run(paths: folder.tls, crlURL: "http://mail.example.org/ca.crl") == .fresh)
    }

    @Test func shortPeriodsKeepAnHourOfMargin() throws {
        let (folder, ca) = try folderWithCA()
        let start = Date()
        let crl = try Revocation.publish(authority: ca, paths: folder.tls, days: 1, now: start)
        #expect(!CRLUpkeep.needsReissue(crl, now: start + 15 * 3600))
        #expect(CRLUpkeep.needsReissue(crl, now: start + 17 * 3600))
        #expect(CRLUpkeep.days(of: crl) == 1)
    }
}
