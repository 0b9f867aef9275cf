import Foundation
import SwiftASN1
import Testing
import X509
@testable import TsubamePKI

/// `tsubame ca revoke`, `tsubame ca crl`, CRL Distribution Points, and `cert show` reading the CRL.
struct RevocationTests {
    static let identity = try! ServerIdentity(hosts: ["mail.example.org"], ipAddresses: [])

    static func date(_ text: String) -> Date { RevocationLog.parseDate(text)! }

    static func entry(_ serial: String, _ reason: RevocationReason, at time: String = "2026-03-01T12:00:00Z") throws -> RevocationLog.Entry {
        RevocationLog.Entry(serial: try CertificateSerial(parsing: serial), date: date(time), reason: reason)
    }

    /// The TBSCertList's fields, version first.
    static func tbsFields(_ crl: CertificateRevocationList) throws -> [ASN1Node] {
        let top = try DEROutline.children(try DER.parse(crl.derEncoded), "crl")
        return try DEROutline.children(top[0], "crl")
    }

    // MARK: The CRL's DER

    @Test func crlRoundTripKeepsEveryField() throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let log = RevocationLog(entries: [try Self.entry("5a1b9c", .keyCompromise), try Self.entry("7f00ff", .unspecified)], crlNumber: 0)
        let now = Self.date("2026-03-02T08:30:15Z")
        let crl = try ca.revocationList(log: log, number: 7, days: 30, now: now.addingTimeInterval(0.75))

        #expect(crl.issuer == (try CertificateRevocationList.subjectDER(of: ca.certificate)))
        #expect(crl.thisUpdate == now, "times are truncated to whole seconds")
        #expect(crl.nextUpdate == now.addingTimeInterval(30 * 86_400))
        #expect(crl.number == 7)
        #expect(crl.authorityKeyIdentifier == Array(ca.keyIdentifier))
        #expect(crl.revoked.map(\.serial.hex) == ["5a1b9c", "7f00ff"])
        #expect(crl.revoked.map(\.reason) == [.keyCompromise, .unspecified])
        #expect(crl.revoked[0].date == Self.date("2026-03-01T12:00:00Z"))
        #expect(crl.signatureAlgorithm == [1, 2, 840, 10045, 4, 3, 2])
        #expect(crl.isIssued(by: ca.certificate))
        #expect(!crl.isIssued(by: try CertificateAuthority.create(name: "Revocation Test CA").certificate),
                "same name, other key: the signature must not verify")

        let fields = try Self.tbsFields(crl)
        #expect(try Int(derEncoded: fields[0]) == 1, "version v2")
        #expect(fields[3].identifier == .utcTime && fields[4].identifier == .utcTime)
        #expect(fields[6].identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific), "crlExtensions [0]")

        // The PEM text reads back to the same DER.
        #expect(try CertificateRevocationList(pemEncoded: crl.pem).derEncoded == crl.derEncoded)
        #expect(crl.pem.hasPrefix("-----BEGIN X509 CRL-----\n"))
    }

    @Test func aTamperedCRLDoesNotVerify() throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let crl = try ca.revocationList(log: RevocationLog(entries: [try Self.entry("5a1b9c", .superseded)]), number: 1, days: 30)
        var der = crl.derEncoded
        // Flip a bit in the revoked serial (inside the signed TBSCertList).
        let serialAt = der.indices.first { der[$0] == 0x5a && der[$0 + 1] == 0x1b && der[$0 + 2] == 0x9c }!
        der[serialAt] ^= 0x01
        let tampered = try CertificateRevocationList(derEncoded: der)
        #expect(tampered.revoked[0].serial.hex == "5b1b9c")
        #expect(!tampered.isIssued(by: ca.certificate))
    }

    @Test func reasonCodeIsAbsentForUnspecified() throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let log = RevocationLog(entries: [try Self.entry("01", .unspecified), try Self.entry("02", .cessationOfOperation)])
        let crl = try ca.revocationList(log: log, number: 1, days: 30)
        let fields = try Self.tbsFields(crl)
        let entries = try DEROutline.children(fields[5], "crl")
        #expect(try DEROutline.children(entries[0], "crl").count == 2, "RFC 5280 §5.3.1: no reasonCode for unspecified")
        let second = try DEROutline.children(entries[1], "crl")
        #expect(second.count == 3)
        let reasonExtension = try CRLEncoding.extensions(second[2], what: "crl")
        #expect(reasonExtension.count == 1)
        #expect(reasonExtension[0].0 == CertificateRevocationList.reasonCodeOID)
        #expect(Array(reasonExtension[0].2) == [0x0A, 0x01, 0x05], "ENUMERATED cessationOfOperation (5)")
        #expect(crl.revoked.map(\.reason) == [.unspecified, .cessationOfOperation])
    }

    @Test func anEmptyListOmitsRevokedCertificates() throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let crl = try ca.revocationList(log: RevocationLog(), number: 1, days: 1)
        let fields = try Self.tbsFields(crl)
        // version, signature, issuer, thisUpdate, nextUpdate, [0] crlExtensions: no SEQUENCE OF between.
        #expect(fields.count == 6)
        #expect(fields[5].identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        #expect(crl.revoked.isEmpty)
        #expect(crl.isIssued(by: ca.certificate))
    }

    @Test func timesSwitchToGeneralizedTimeIn2050() throws {
        var serializer = DER.Serializer()
        try CRLEncoding.time(Self.date("2049-12-31T23:59:59Z"), into: &serializer)
        try CRLEncoding.time(Self.date("2050-01-01T00:00:00Z"), into: &serializer)
        let expected: [UInt8] = [0x17, 13] + Array("491231235959Z".utf8) + [0x18, 15] + Array("20500101000000Z".utf8)
        #expect(serializer.serializedBytes == expected)

        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let log = RevocationLog(entries: [try Self.entry("0a", .keyCompromise, at: "2049-12-31T23:59:59Z")])
        let crl = try ca.revocationList(log: log, number: 1, days: 30, now: Self.date("2049-12-20T00:00:00Z"))
        let fields = try Self.tbsFields(crl)
        #expect(fields[3].identifier == .utcTime)
        #expect(fields[4].identifier == .generalizedTime)
        #expect(crl.nextUpdate == Self.date("2050-01-19T00:00:00Z"))
        #expect(crl.revoked[0].date == Self.date("2049-12-31T23:59:59Z"))
    }

    // MARK: Serial numbers, reasons, revoked.txt

    @Test func serialsParseWithOrWithoutColonsInAnyCase() throws {
        let plain = try CertificateSerial(parsing: "5a1b9c")
        #expect(try CertificateSerial(parsing: "5A:1B:9C") == plain)
        #expect(try CertificateSerial(parsing: " 00:5a:1B:9c ") == plain, "a leading zero byte is the same number")
        #expect(try CertificateSerial(parsing: "abc").hex == "0abc")
        #expect(try CertificateSerial(parsing: "ff").derIntegerContent == [0x00, 0xFF], "positive INTEGER keeps a sign byte")
        #expect(try CertificateSerial(parsing: String(repeating: "7f", count: 20)).magnitude.count == 20)
    }

    @Test func badSerialsAreRefused() {
        expectRefusal(.invalidRequest, containing: "not a hex digit") { _ = try CertificateSerial(parsing: "5a1g") }
        expectRefusal(.invalidRequest, containing: "not a hex digit") { _ = try CertificateSerial(parsing: "0x5a1b") }
        expectRefusal(.invalidRequest, containing: "not a serial number") { _ = try CertificateSerial(parsing: "::") }
        expectRefusal(.invalidRequest, containing: "is zero") { _ = try CertificateSerial(parsing: "00:00") }
        expectRefusal(.invalidRequest, containing: "at most 20") { _ = try CertificateSerial(parsing: String(repeating: "ab", count: 21)) }
    }

    @Test func reasonsParseInAnyCaseAndMapToRFC5280Codes() throws {
        #expect(try RevocationReason(parsing: "KEYCOMPROMISE") == .keyCompromise)
        #expect(RevocationReason.allCases.map(\.code) == [0, 1, 3, 4, 5])
        expectRefusal(.invalidRequest, containing: "choose one of unspecified, keyCompromise") { _ = try RevocationReason(parsing: "cACompromise") }
    }

    @Test func revocationLogRoundTripsAndRefusesGarbage() throws {
        let log = RevocationLog(entries: [try Self.entry("5a1b9c", .superseded), try Self.entry("ff00", .unspecified)], crlNumber: 12)
        #expect(try RevocationLog(parsing: log.text) == log)
        #expect(log.text.contains("\ncrl-number 12\n5a1b9c 2026-03-01T12:00:00Z superseded\nff00 2026-03-01T12:00:00Z unspecified\n"))
        expectRefusal(.invalidMaterial, containing: "line 2") { _ = try RevocationLog(parsing: "crl-number 1\n5a1b 2026-03-01 superseded\n") }
        expectRefusal(.invalidMaterial, containing: "not a hex digit") { _ = try RevocationLog(parsing: "xyz 2026-03-01T12:00:00Z superseded\n") }
        expectRefusal(.invalidMaterial, containing: "listed twice") {
            _ = try RevocationLog(parsing: "5a 2026-03-01T12:00:00Z superseded\n005A 2026-03-02T12:00:00Z keyCompromise\n")
        }
    }

    // MARK: Revoking and publishing, with files

    @Test func revokingTwiceIsRefusedWithTheDate() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        try ca.save(to: folder.tls)
        let serial = try CertificateSerial(parsing: "5a1b9c")
        _ = try Revocation.revoke(serial, reason: .keyCompromise, authority: ca, paths: folder.tls, now: Self.date("2026-03-01T12:00:00Z"))
        let before = try readFile(folder.tls.revocations)
        expectRefusal(.alreadyExists, containing: "already revoked on 2026-03-01T12:00:00Z (keyCompromise)") {
            _ = try Revocation.revoke(try CertificateSerial(parsing: "5A:1B:9C"), reason: .superseded, authority: ca, paths: folder.tls)
        }
        #expect(try readFile(folder.tls.revocations) == before, "a refused revocation changes nothing")
    }

    @Test func crlNumberIncreasesAndIsKept() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        try ca.save(to: folder.tls)
        let first = try Revocation.publish(authority: ca, paths: folder.tls)
        let second = try Revocation.publish(authority: ca, paths: folder.tls, days: 7)
        let third = try Revocation.revoke(try CertificateSerial(parsing: "01"), reason: .superseded, authority: ca, paths: folder.tls).crl
        #expect([first.number, second.number, third.number] == [1, 2, 3])
        #expect(try Revocation.loadLog(paths: folder.tls).crlNumber == 3)
        let onDisk = try #require(try Revocation.loadCRL(paths: folder.tls))
        #expect(onDisk.number == 3 && onDisk.revoked.count == 1)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder.tls.crlDER))) == onDisk.derEncoded)
        #expect(try mode(of: folder.tls.crlPEM) == 0o644)
        #expect(try mode(of: folder.tls.crlDER) == 0o644)
        expectRefusal(.invalidRequest, containing: "between 1 and 366") { _ = try Revocation.publish(authority: ca, paths: folder.tls, days: 367) }
        expectRefusal(.invalidRequest, containing: "between 1 and 366") { _ = try Revocation.publish(authority: ca, paths: folder.tls, days: 0) }
        #expect(try Revocation.loadLog(paths: folder.tls).crlNumber == 3, "a refused CRL uses no number")
    }

    @Test func concurrentRevocationsLoseNothing() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        try ca.save(to: folder.tls)
        let paths = folder.tls
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            _ = try? Revocation.revoke(try CertificateSerial(parsing: "a\(index)"), reason: .superseded, authority: ca, paths: paths)
        }
        let log = try Revocation.loadLog(paths: paths)
        #expect(Set(log.entries.map(\.serial.hex)) == Set((0..<8).map { "a\($0)" }))
        #expect(log.crlNumber == 8)
        #expect(try Revocation.loadCRL(paths: paths)?.revoked.count == 8)
    }

    @Test func certificatesFromAnotherCAAreRefused() throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let other = try CertificateAuthority.create(name: "Another CA")
        let twin = try CertificateAuthority.create(name: "Revocation Test CA")
        try ca.checkIssued(try ca.issue(for: Self.identity).certificate, what: "mine.pem")
        expectRefusal(.invalidRequest, containing: "was not issued by the private CA \"Revocation Test CA\"") {
            try ca.checkIssued(try other.issue(for: Self.identity).certificate, what: "other.pem")
        }
        expectRefusal(.invalidRequest, containing: "signature does not verify with this CA's key") {
            try ca.checkIssued(try twin.issue(for: Self.identity).certificate, what: "twin.pem")
        }
        expectRefusal(.invalidRequest, containing: "the private CA's own certificate") {
            try ca.checkIssued(ca.certificate, what: "ca.pem")
        }
    }

    @Test func issuanceLogFindsTheNamesOfASerial() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let first = try IssuanceLog.recording(ca.issue(for: Self.identity), in: folder.tls)
        let (request, _) = try SigningRequest.make(for: try ServerIdentity(hosts: ["smtp.example.net"], ipAddresses: ["192.0.2.7"]))
        let signed = try IssuanceLog.recording(ca.sign(request), in: folder.tls)
        let found = try #require(IssuanceLog.find(try CertificateSerial(signed[0].serialNumber), paths: folder.tls))
        #expect(found.names == ["smtp.example.net", "192.0.2.7"])
        #expect(found.notAfter == RevocationLog.wholeSeconds(signed[0].notValidAfter))
        #expect(IssuanceLog.find(try CertificateSerial(first.certificate.serialNumber), paths: folder.tls)?.names == ["mail.example.org"])
        #expect(IssuanceLog.find(try CertificateSerial(parsing: "5a1b9c"), paths: folder.tls) == nil)
        let lines = try readFile(folder.tls.issued).split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("#"), "a header, then one line per certificate")
        #expect(try mode(of: folder.tls.issued) == 0o644)
    }

    // MARK: CRL Distribution Points

    @Test func issuedCertificatesNameTheCRLURL() throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let issued = try ca.issue(for: Self.identity, crlURL: "http://crl.example.org/ca.crl").certificate
        let point = try #require(issued.extensions.first { $0.oid == CRLDistributionPoints.oid })
        #expect(!point.critical)
        #expect(CertificateReport.describeExtensions(issued).contains("CRLDistributionPoints: http://crl.example.org/ca.crl"))
        // SEQUENCE { SEQUENCE { [0] { [0] { [6] "http://..." } } } }
        let url = Array("http://crl.example.org/ca.crl".utf8)
        #expect(Array(point.value) == [0x30, UInt8(url.count + 8), 0x30, UInt8(url.count + 6), 0xA0, UInt8(url.count + 4),
                                       0xA0, UInt8(url.count + 2), 0x86, UInt8(url.count)] + url)

        let (request, _) = try SigningRequest.make(for: Self.identity)
        let signed = try ca.sign(request, crlURL: "https://pki.example.org/crl.der")[0]
        #expect(CertificateReport.describeExtensions(signed).contains("CRLDistributionPoints: https://pki.example.org/crl.der"))
        #expect(!(try ca.issue(for: Self.identity, crlURL: "")).certificate.extensions.contains { $0.oid == CRLDistributionPoints.oid })
        #expect(!(try ca.issue(for: Self.identity)).certificate.extensions.contains { $0.oid == CRLDistributionPoints.oid })
        expectRefusal(.invalidRequest, containing: "http:// or https://") { _ = try ca.issue(for: Self.identity, crlURL: "ldap://x/crl") }
        expectRefusal(.invalidRequest, containing: "http:// or https://") { _ = try ca.issue(for: Self.identity, crlURL: "http://x/ a") }
    }

    // MARK: cert show

    @Test func reportOfARevokedCertificateIsUnusable() async throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let revoked = try ca.issue(for: Self.identity)
        let kept = try ca.issue(for: Self.identity)
        let log = RevocationLog(entries: [
            RevocationLog.Entry(serial: try CertificateSerial(revoked.certificate.serialNumber), date: Self.date("2026-03-01T12:00:00Z"), reason: .keyCompromise),
        ])
        let crl = try ca.revocationList(log: log, number: 4, days: 30)
        let bad = try await onThread {
            try CertificateReport(chain: revoked.chain, roots: [ca.certificate], host: "mail.example.org", revocationList: crl)
        }
        #expect(!bad.isUsable)
        #expect(bad.problems.contains("revoked on 2026-03-01T12:00:00Z (keyCompromise)"))
        #expect(bad.revocationStatus?.hasPrefix("REVOKED") == true)
        let good = try await onThread {
            try CertificateReport(chain: kept.chain, roots: [ca.certificate], host: "mail.example.org", revocationList: crl)
        }
        #expect(good.isUsable, "\(good.problems)")
        #expect(good.revocationStatus?.hasPrefix("not revoked (CRL 4") == true)
    }

    @Test func reportIgnoresACRLTheTrustedCADidNotSign() async throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA")
        let twin = try CertificateAuthority.create(name: "Revocation Test CA")
        let server = try ca.issue(for: Self.identity)
        let log = RevocationLog(entries: [
            RevocationLog.Entry(serial: try CertificateSerial(server.certificate.serialNumber), date: Date(), reason: .keyCompromise),
        ])
        let forged = try twin.revocationList(log: log, number: 1, days: 30)
        let report = try await onThread {
            try CertificateReport(chain: server.chain, roots: [ca.certificate], host: "mail.example.org", revocationList: forged)
        }
        #expect(report.isUsable, "\(report.problems)")
        #expect(report.revocationStatus == nil)
        #expect(report.warnings.contains { $0.contains("not signed by the trusted CA") })
    }

    @Test func reportWarnsOfAStaleCRL() async throws {
        let ca = try CertificateAuthority.create(name: "Revocation Test CA", now: Date() - 100 * 86_400)
        let server = try ca.issue(for: Self.identity)
        let stale = try ca.revocationList(log: RevocationLog(), number: 1, days: 30, now: Date() - 40 * 86_400)
        let report = try await onThread {
            try CertificateReport(chain: server.chain, roots: [ca.certificate], host: "mail.example.org", revocationList: stale)
        }
        #expect(report.isUsable)
        #expect(report.warnings.contains { $0.contains("past its next update") })
    }
}

/// The CRL as openssl sees it (skipped when openssl is not installed).
@Suite(.enabled(if: OpenSSL.isAvailable, "needs the openssl command line"))
struct RevocationOpenSSLTests {
    @Test(arguments: [(KeyType.ecdsaP256, "ecdsa-with-SHA256"), (.ecdsaP384, "ecdsa-with-SHA384"), (.rsa2048, "sha256WithRSAEncryption")])
    func opensslVerifiesTheCRLAndRefusesTheRevokedLeaf(keyType: KeyType, algorithm: String) throws {
        let folder = try TemporaryDirectory()
        let paths = folder.tls
        let ca = try CertificateAuthority.create(name: "OpenSSL CRL CA", keyType: keyType)
        try ca.save(to: paths)
        let kept = try ca.issue(for: RevocationTests.identity, keyType: keyType)
        let revoked = try ca.issue(for: RevocationTests.identity, keyType: keyType)
        try kept.save(to: paths)
        let revokedFile = "\(folder.path)/revoked-leaf.pem"
        try PEMFiles.writeCertificates([revoked.certificate], to: revokedFile)
        let serial = try CertificateSerial(revoked.certificate.serialNumber)
        _ = try Revocation.revoke(serial, reason: .keyCompromise, authority: ca, paths: paths)

        let verify = try OpenSSL.run(["crl", "-in", paths.crlPEM, "-CAfile", paths.caCertificate, "-verify", "-noout"])
        #expect(verify.status == 0 && verify.output.contains("verify OK"), "\(verify.output)")
        let text = try OpenSSL.run(["crl", "-in", paths.crlDER, "-inform", "DER", "-noout", "-text"])
        #expect(text.status == 0, "\(text.output)")
        for expected in ["Version 2 (0x1)", "Signature Algorithm: \(algorithm)", "Issuer: CN = OpenSSL CRL CA",
                         "X509v3 CRL Number", "X509v3 Authority Key Identifier", "Serial Number: \(serial.hex.uppercased())",
                         "Key Compromise"] {
            #expect(text.output.contains(expected), "missing \(expected) in \(text.output)")
        }
        #expect(!text.output.lowercased().contains("sha1"))

        let refused = try OpenSSL.run(["verify", "-crl_check", "-CAfile", paths.caCertificate, "-CRLfile", paths.crlPEM, revokedFile])
        #expect(refused.status != 0)
        #expect(refused.output.contains("certificate revoked"), "\(refused.output)")
        let accepted = try OpenSSL.run(["verify", "-crl_check", "-CAfile", paths.caCertificate, "-CRLfile", paths.crlPEM, paths.serverCertificate])
        #expect(accepted.status == 0, "\(accepted.output)")
        #expect(accepted.output.contains(": OK"))
    }

    @Test func opensslReadsAnEmptyCRLAndItsNumber() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "OpenSSL CRL CA")
        try ca.save(to: folder.tls)
        _ = try Revocation.publish(authority: ca, paths: folder.tls)
        _ = try Revocation.publish(authority: ca, paths: folder.tls, days: 7)
        let text = try OpenSSL.run(["crl", "-in", folder.tls.crlPEM, "-noout", "-text"])
        #expect(text.output.contains("No Revoked Certificates."), "\(text.output)")
        let number = try OpenSSL.run(["crl", "-in", folder.tls.crlPEM, "-noout", "-crlnumber"])
        #expect(number.output.contains("crlNumber=0x02") || number.output.contains("crlNumber=02"), "\(number.output)")
        let verify = try OpenSSL.run(["crl", "-in", folder.tls.crlPEM, "-CAfile", folder.tls.caCertificate, "-verify", "-noout"])
        #expect(verify.output.contains("verify OK"), "\(verify.output)")
    }

    @Test func opensslReadsTheGeneralizedTimeOf2050() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "OpenSSL CRL CA")
        let crl = try ca.revocationList(log: RevocationLog(), number: 1, days: 30, now: RevocationTests.date("2049-12-20T00:00:00Z"))
        let file = "\(folder.path)/crl.pem"
        try PEMFiles.writeAtomically([PEMFiles.Entry(path: file, text: crl.pem, mode: 0o644)])
        let text = try OpenSSL.run(["crl", "-in", file, "-noout", "-text"])
        #expect(text.output.contains("Last Update: Dec 20 00:00:00 2049 GMT"), "\(text.output)")
        #expect(text.output.contains("Next Update: Jan 19 00:00:00 2050 GMT"), "\(text.output)")
    }

    @Test func opensslShowsTheCRLDistributionPoint() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "OpenSSL CRL CA")
        try ca.save(to: folder.tls)
        try ca.issue(for: RevocationTests.identity, crlURL: "http://crl.example.org/tsubame.crl").save(to: folder.tls)
        let text = try OpenSSL.run(["x509", "-in", folder.tls.serverCertificate, "-noout", "-text"])
        #expect(text.output.contains("X509v3 CRL Distribution Points"), "\(text.output)")
        #expect(text.output.contains("URI:http://crl.example.org/tsubame.crl"), "\(text.output)")
        let verify = try OpenSSL.run(["verify", "-x509_strict", "-CAfile", folder.tls.caCertificate, folder.tls.serverCertificate])
        #expect(verify.status == 0, "\(verify.output)")
    }
}
