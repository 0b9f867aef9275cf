import Foundation
@testable import OutboundDelivery
import SMTPProtocol
import Testing

/// STARTTLS (RFC 3207) and implicit TLS (RFC 8314) against aiosmtpd with a throwaway CA.
@Suite(.serialized) struct SMTPClientTLSTests {
    typealias F = ClientFixture

    static let certificates: Result<TestCertificates, any Error> = Result { try TestCertificates.make() }

    static func failure(_ result: Result<SMTPClientConnection, SMTPClientFailure>) -> SMTPClientFailure? {
        guard case .failure(let failure) = result else { return nil }
        return failure
    }

    @Test func verifiesTheCertificateAgainstTheCAFile() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "starttls", certificates: certificates)
        let tls = try OutboundTLS(caFile: certificates.caCertificate)
        let connection = try await F.open(peer.host, F.configuration(.verify), tls: tls).get()
        #expect(["TLSv1.2", "TLSv1.3"].contains(connection.tlsVersion ?? "none"))
        let results = try await connection.deliver(F.message(to: ["bob@b.example"]), content: F.contentFile(F.simpleContent)).get()
        #expect(results.map(\.status) == [.delivered])
        await connection.close()
        #expect(try peer.messages().map(\.tls) == [true])
    }

    @Test func verifiesAnAddressLiteralAgainstTheIPInTheCertificate() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "starttls", certificates: certificates)
        let host = DeliveryHost(name: "127.0.0.1", addresses: ["127.0.0.1"], port: peer.port)
        let connection = try await F.open(host, F.configuration(.verify),
                                          tls: OutboundTLS(caFile: certificates.caCertificate)).get()
        #expect(connection.tlsVersion != nil)
        await connection.close()
    }

    @Test func verifyRefusesACertificateForAnotherName() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "starttls", certificates: certificates)
        let host = DeliveryHost(name: "mx.other.example", addresses: ["127.0.0.1"], port: peer.port)
        let failure = Self.failure(await F.open(host, F.configuration(.verify),
                                                tls: try OutboundTLS(caFile: certificates.caCertificate)))
        #expect(failure?.status == .deferred)
        #expect(failure?.retryWithoutTLS == false)
        #expect(try peer.messages().isEmpty)
    }

    @Test func verifyRefusesAnUntrustedCA() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "starttls", certificates: certificates)
        for tls in [try OutboundTLS(caFile: nil), try OutboundTLS(caFile: certificates.otherCA)] {
            let failure = Self.failure(await F.open(peer.host, F.configuration(.verify), tls: tls))
            #expect(failure?.status == .deferred)
            #expect(failure?.enhancedCode == "4.7.5")
        }
        // Never fell back to plaintext: only the two TLS attempts.
        #expect(try peer.events("connect").count == 2)
    }

    @Test func encryptAcceptsAnUntrustedCertificate() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "starttls", certificates: certificates)
        let connection = try await F.open(peer.host, F.configuration(.encrypt), tls: OutboundTLS(caFile: nil)).get()
        #expect(connection.tlsVersion != nil)
        _ = try await connection.deliver(F.message(to: ["bob@b.example"]), content: F.contentFile(F.simpleContent)).get()
        await connection.close()
        #expect(try peer.messages().map(\.tls) == [true])
    }

    @Test func mayFallsBackToPlaintextWhenTheHandshakeFails() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "old-tls", certificates: certificates)
        let connection = try await F.open(peer.host, F.configuration(.may), tls: OutboundTLS(caFile: nil)).get()
        #expect(connection.tlsVersion == nil)
        let results = try await connection.deliver(F.message(to: ["bob@b.example"]), content: F.contentFile(F.simpleContent)).get()
        #expect(results.map(\.status) == [.delivered])
        await connection.close()
        #expect(try peer.messages().map(\.tls) == [false])
        #expect(try peer.events("connect").count == 2)
    }

    @Test func encryptDoesNotFallBack() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "old-tls", certificates: certificates)
        let failure = Self.failure(await F.open(peer.host, F.configuration(.encrypt), tls: try OutboundTLS(caFile: nil)))
        #expect(failure?.status == .deferred)
        #expect(try peer.events("connect").count == 1)
    }

    @Test func abortsOnAReplyInjectedBehindThe220ToSTARTTLS() async throws {
        let peer = try SMTPPeer(mode: "inject")
        let failure = Self.failure(await F.open(peer.host, F.configuration(.may), tls: try OutboundTLS(caFile: nil)))
        #expect(failure?.status == .deferred)
        #expect(failure?.retryWithoutTLS == false)
        #expect(failure?.reason.contains("CVE-2011-0411") == true)
        // One connection, aborted: no fallback, no MAIL.
        #expect(try peer.events("connect").count == 1)
        let lines = try peer.events("line").compactMap { $0["line"] as? String }
        #expect(!lines.contains { $0.uppercased().hasPrefix("MAIL") })
    }

    @Test(arguments: ["implicit-plain", "implicit-login"])
    func authenticatesOverImplicitTLS(mode: String) async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: mode, certificates: certificates)
        let configuration = F.configuration(.verify, implicitTLS: true,
                                            credentials: SMTPClientCredentials(username: "sender", password: "s3cret pass"))
        let connection = try await F.open(peer.host, configuration, tls: OutboundTLS(caFile: certificates.caCertificate)).get()
        #expect(connection.tlsVersion != nil)
        let results = try await connection.deliver(F.message(to: ["bob@b.example"]), content: F.contentFile(F.simpleContent)).get()
        #expect(results.map(\.status) == [.delivered])
        await connection.close()
        let auth = try peer.events("auth")
        #expect(auth.count == 1)
        #expect(auth.first?["mechanism"] as? String == (mode == "implicit-plain" ? "PLAIN" : "LOGIN"))
        #expect(auth.first?["ok"] as? Bool == true)
        #expect(try peer.messages().map(\.tls) == [true])
    }

    @Test func aRefusedPasswordFails() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "implicit-plain", certificates: certificates)
        let configuration = F.configuration(.verify, implicitTLS: true,
                                            credentials: SMTPClientCredentials(username: "sender", password: "wrong"))
        let failure = Self.failure(await F.open(peer.host, configuration,
                                                tls: try OutboundTLS(caFile: certificates.caCertificate)))
        #expect(failure?.status == .failed, "\(String(describing: failure))")
        #expect(failure?.reply?.code == 535)
        #expect(try peer.events("auth").first?["ok"] as? Bool == false)
    }

    @Test func implicitTLSRefusesAnUntrustedCertificateUnderVerify() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "implicit-plain", certificates: certificates)
        let failure = Self.failure(await F.open(peer.host, F.configuration(.verify, implicitTLS: true),
                                                tls: try OutboundTLS(caFile: nil)))
        #expect(failure?.status == .deferred)
        #expect(failure?.reason.contains("TLS") == true)
    }

    @Test func implicitTLSRefusesACertificateForAnotherNameUnderVerify() async throws {
        let certificates = try Self.certificates.get()
        let peer = try SMTPPeer(mode: "implicit-plain", certificates: certificates)
        // The certificate has IP:127.0.0.1, the address dialled; still the name must match.
        let host = DeliveryHost(name: "smtp.other.example", addresses: ["127.0.0.1"], port: peer.port)
        let failure = Self.failure(await F.open(host, F.configuration(.verify, implicitTLS: true),
                                                tls: try OutboundTLS(caFile: certificates.caCertificate)))
        #expect(failure?.status == .deferred)
        #expect(failure?.enhancedCode == "4.7.5")
        #expect(try peer.events("auth").isEmpty)
    }

    @Test func matchesDNSNamesAsRFC6125Says() {
        #expect(OutboundTLS.dnsNames(["mx.example.org"], match: "MX.Example.org."))
        #expect(OutboundTLS.dnsNames(["*.example.org"], match: "mx.example.org"))
        #expect(!OutboundTLS.dnsNames(["*.example.org"], match: "a.mx.example.org"))
        #expect(!OutboundTLS.dnsNames(["*.example.org"], match: "example.org"))
        #expect(!OutboundTLS.dnsNames(["*.org"], match: "example.org"))
        #expect(!OutboundTLS.dnsNames(["mx*.example.org"], match: "mx1.example.org"))
        #expect(!OutboundTLS.dnsNames(["localhost"], match: "mx.example.org"))
        #expect(!OutboundTLS.dnsNames([], match: "mx.example.org"))
        // An address literal is NIOSSL's IP check's business.
        #expect(OutboundTLS.dnsNames([], match: "192.0.2.1"))
    }

    @Test func refusesACAFileWithoutCertificates() throws {
        let path = NSTemporaryDirectory() + "empty-ca-\(UUID().uuidString).pem"
        try "not a certificate\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try OutboundTLS(caFile: path) }
    }

    @Test func sendsSNIOnlyForNames() {
        #expect(OutboundTLS.serverName("mx.example.org.") == "mx.example.org")
        #expect(OutboundTLS.serverName("192.0.2.1") == nil)
        #expect(OutboundTLS.serverName("2001:db8::1") == nil)
        #expect(OutboundTLS.serverName("[192.0.2.1]") == nil)
        #expect(OutboundTLS.serverName("1.2.3.4.example") == "1.2.3.4.example")
    }
}
