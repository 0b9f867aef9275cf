import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import TsubamePKI

@Suite struct ServerIdentityTests {
    @Test func namesAreNormalisedAndDeduplicated() throws {
        let identity = try ServerIdentity(
            hosts: ["Mail.Example.ORG.", "mail.example.org", "localhost"],
            ipAddresses: ["127.0.0.1", "::0001", "2001:DB8::1", "127.0.0.1"])
        #expect(identity.dnsNames == ["mail.example.org", "localhost"])
        #expect(identity.ipAddresses == ["127.0.0.1", "::1", "2001:db8::1"])
        #expect(identity.commonName == "mail.example.org")
    }

    @Test func badNamesAreRefusedWithTheRule() {
        expectRefusal(.invalidRequest, containing: "at least one host") { _ = try ServerIdentity(hosts: []) }
        for bad in ["-mail.example.org", "mail..example.org", "mail_1.example.org", "a b", "*.org", "mail.*.org", ""] {
            expectRefusal(.invalidRequest, containing: "host name") { _ = try ServerIdentity(hosts: [bad]) }
        }
        expectRefusal(.invalidRequest, containing: "punycode") { _ = try ServerIdentity(hosts: ["メール.example.jp"]) }
        expectRefusal(.invalidRequest, containing: "--ip 192.0.2.1") { _ = try ServerIdentity(hosts: ["192.0.2.1"]) }
        expectRefusal(.invalidRequest, containing: "not an IPv4 or IPv6 address") {
            _ = try ServerIdentity(hosts: ["mail.example.org"], ipAddresses: ["300.1.1.1"])
        }
        let long = String(repeating: "a", count: 60) + ".example.org"
        expectRefusal(.invalidRequest, containing: "64 characters") { _ = try ServerIdentity(hosts: [long]) }
        #expect(throws: Never.self) { try ServerIdentity(hosts: ["mail.example.org", long]) }
    }

    @Test func caDefaultNameFitsTheCommonName() {
        #expect(CertificateAuthority.defaultName(for: "mail.example.org") == "Tsubame Private CA (mail.example.org)")
        #expect(CertificateAuthority.defaultName(for: String(repeating: "a", count: 60)) == "Tsubame Private CA")
    }

    /// Found by FuzzPKIReaders: an iPAddress name of another length than 4 or 16 octets made
    /// inet_ntop read past the end of the octets (heap-buffer-overflow under AddressSanitizer).
    @Test func ipAddressTextShowsOddLengthsOctetByOctet() {
        #expect(ServerIdentity.ipAddressText([192, 0, 2, 25]) == "192.0.2.25")
        #expect(ServerIdentity.ipAddressText([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]) == "2001:db8::1")
        #expect(ServerIdentity.ipAddressText([]) == "")
        #expect(ServerIdentity.ipAddressText([1, 2, 3, 4, 5]) == "1.2.3.4.5")
        #expect(ServerIdentity.ipAddressText([192, 0, 2, 0, 255, 255, 255, 0]) == "192.0.2.0.255.255.255.0")
        #expect(ServerIdentity.ipAddressText(Array(repeating: 7, count: 17)).split(separator: ".").count == 17)
    }

    @Test func certificateWithAFiveOctetIPAddressIsSummarised() throws {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName { CommonName("odd.example.org") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: Date(), notValidAfter: Date().addingTimeInterval(86_400), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([.ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 1, 9]))])
            },
            issuerPrivateKey: key)
        #expect(try CertificateSummary(certificate).names == ["10.0.0.1.9"])
    }
}
