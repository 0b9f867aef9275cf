import Testing
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
}
