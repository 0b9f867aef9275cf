import Crypto
import Foundation
import FuzzSupport
import SwiftASN1
import TsubamePKI
import X509

/// The readers of the built-in PKI: the files of DATA/tls and what `cert show` reads from a
/// server. The first byte picks a reader; the rest is its input. DER inputs are given raw and
/// wrapped in PEM here, so that mutations reach the DER structure rather than the base64.
///
/// - No reader traps, and every refusal is a `PKIError` (whose message names the reason).
/// - A CRL that parses reads back the same from its own PEM (`pem`), and revoked.txt
///   (`RevocationLog`) and serial numbers read back the same from the text they write.
/// - A certificate that parses can be reported (`CertificateReport`, as `cert show` prints it)
///   without trapping; mode 7 builds such certificates from the fuzzer's choices (names, IP
///   addresses, serials, dates) so the report sees what a hostile server could send.
func fuzzPKIReaders(_ input: FuzzInput) {
    var input = input
    let mode = input.byte() % 8
    switch mode {
    case 0:
        readCertificates(text(input.rest()))
    case 1:
        refusalsArePKIErrors { _ = try SigningKey(pemEncoded: text(input.rest())) }
    case 2:
        refusalsArePKIErrors { checkCRL(try CertificateRevocationList(pemEncoded: text(input.rest()))) }
    case 3:
        readCertificates(pem("CERTIFICATE", input.rest()))
    case 4:
        let types = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]
        let type = types[Int(input.byte()) % types.count]
        refusalsArePKIErrors { _ = try SigningKey(pemEncoded: pem(type, input.rest())) }
    case 5:
        refusalsArePKIErrors { checkCRL(try CertificateRevocationList(derEncoded: input.rest())) }
    case 6:
        refusalsArePKIErrors { _ = try SigningRequest(pemEncoded: pem("CERTIFICATE REQUEST", input.rest())) }
    default:
        if input.byte() & 1 == 0 {
            readRevocationLog(text(input.rest()))
        } else {
            reportBuiltCertificate(&input)
        }
    }
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

private func pem(_ type: String, _ der: [UInt8]) -> String {
    PEMDocument(type: type, derBytes: der).pemString
}

private func refusalsArePKIErrors(_ body: () throws -> Void) {
    do {
        try body()
    } catch is PKIError {
    } catch {
        preconditionFailure("a refusal that is not a PKIError: \(type(of: error)): \(error)")
    }
}

/// A fixed moment, so that runs repeat.
private let now = Date(timeIntervalSince1970: 1_790_000_000)

private func readCertificates(_ text: String) {
    var certificates: [Certificate] = []
    refusalsArePKIErrors { certificates = try PEMFiles.parseCertificates(text, what: "fuzz") }
    report(certificates)
}

private func report(_ certificates: [Certificate]) {
    guard !certificates.isEmpty else { return }
    for certificate in certificates {
        if let serial = try? CertificateSerial(certificate.serialNumber) { checkSerial(serial) }
    }
    // A refusal here is fine (a certificate can be unreportable); a trap is not.
    if let report = try? CertificateReport(chain: certificates, roots: [], host: "mail.example.org", now: now) {
        _ = report.lines
    }
}

private func checkCRL(_ crl: CertificateRevocationList) {
    let again: CertificateRevocationList
    do {
        again = try CertificateRevocationList(pemEncoded: crl.pem)
    } catch {
        preconditionFailure("a CRL that parsed does not read back from its PEM: \(error)")
    }
    precondition(again.derEncoded == crl.derEncoded && again.revoked == crl.revoked && again.number == crl.number
                 && again.issuer == crl.issuer && again.thisUpdate == crl.thisUpdate && again.nextUpdate == crl.nextUpdate
                 && again.authorityKeyIdentifier == crl.authorityKeyIdentifier, "a CRL reads back differently")
    for entry in crl.revoked {
        checkSerial(entry.serial)
        precondition(crl.revocation(of: entry.serial) != nil, "a listed serial is not found")
    }
    _ = crl.isStale(now: now)
}

private func checkSerial(_ serial: CertificateSerial) {
    let again: CertificateSerial
    do {
        again = try CertificateSerial(parsing: serial.hex)
    } catch {
        preconditionFailure("serial \(serial.hex) does not read back: \(error)")
    }
    precondition(again == serial, "serial \(serial.hex) reads back as \(again.hex)")
    precondition(!serial.magnitude.isEmpty && serial.magnitude.count <= CertificateSerial.maximumOctets && serial.magnitude[0] != 0,
                 "serial \(serial.magnitude) breaks its own rules")
}

private func readRevocationLog(_ text: String) {
    for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(8) {
        refusalsArePKIErrors { checkSerial(try CertificateSerial(parsing: String(word))) }
    }
    var log: RevocationLog?
    refusalsArePKIErrors { log = try RevocationLog(parsing: text) }
    guard let log else { return }
    let written = log.text
    let again: RevocationLog
    do {
        again = try RevocationLog(parsing: written)
    } catch {
        preconditionFailure("revoked.txt as written does not read back: \(error)\n\(written)")
    }
    precondition(again == log, "revoked.txt reads back differently:\n\(written)")
    precondition(again.text == written, "revoked.txt is written differently the second time")
}

// MARK: Certificates built from the fuzzer's choices

private let issuerKey = Certificate.PrivateKey(try! P256.Signing.PrivateKey(rawRepresentation: (1...32).map { UInt8($0) }))

/// A certificate with names, addresses, serial and dates chosen by the fuzzer, signed with a
/// fixed P-256 key, read back through `PEMFiles.parseCertificates` and reported.
private func reportBuiltCertificate(_ input: inout FuzzInput) {
    func bytes(_ maximum: Int) -> [UInt8] { (0..<input.int(in: 0...maximum)).map { _ in input.byte() } }
    func string(_ maximum: Int) -> String { text(bytes(maximum)) }

    let serial = bytes(24)
    let start = Date(timeIntervalSince1970: Double(input.int(in: 0...65_535)) * 86_400 - 2_208_988_800)
    let end = start.addingTimeInterval(Double(input.int(in: 0...65_535)) * 3_600)
    var names: [GeneralName] = []
    for _ in 0..<input.int(in: 0...4) {
        switch input.byte() % 4 {
        case 0: names.append(.dnsName(string(40)))
        case 1: names.append(.ipAddress(ASN1OctetString(contentBytes: bytes(20)[...])))
        case 2: names.append(.rfc822Name(string(40)))
        default: names.append(.uniformResourceIdentifier(string(40)))
        }
    }
    let selfIssued = input.bool()
    let commonName = string(40)
    let certificate: Certificate
    do {
        let subject = try DistinguishedName { CommonName(commonName) }
        let issuer = selfIssued ? subject : try DistinguishedName { CommonName("Fuzz CA") }
        let extensions = try Certificate.Extensions {
            if !names.isEmpty { SubjectAlternativeNames(names) }
            if input.bool() { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) }
            if input.bool() { KeyUsage(digitalSignature: true, keyCertSign: input.bool()) }
        }
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial[...]),
            publicKey: issuerKey.publicKey, notValidBefore: start, notValidAfter: end,
            issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: issuerKey)
    } catch {
        return  // swift-certificates refused to build it: nothing of ours to test
    }
    guard let text = try? certificate.serializeAsPEM().pemString else { return }
    readCertificates(text)
}
