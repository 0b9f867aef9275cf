import Foundation
import Testing
@testable import MailAuthentication

@Suite struct DKIMSignerTests {
    static let message = """
        Received: from a
        Received: from b
        From: Ann <ann@example.com>
        To: bob@example.net
        To: carol@example.net
        Subject: hello
        List-Id: <list.example.com>
        X-Other: not signed

        Hi.

        """

    @Test func headerNamesAreOversignedExceptListFields() {
        let names = DKIMSigner.headerNames(for: dkimScan(Self.message).headerFields)
        #expect(names.filter { $0 == "To" }.count == 3)
        #expect(names.filter { $0 == "From" }.count == 2)
        #expect(names.filter { $0 == "Cc" }.count == 1)
        #expect(names.filter { $0 == "List-Id" }.count == 1)
        #expect(!names.contains("List-Post"))
        #expect(!names.contains("Received") && !names.contains("X-Other"))
        #expect(DKIMSigner.signedHeaderNames.count == 19)
        #expect(DKIMSigner.oversignedHeaderNames.allSatisfy { DKIMSigner.signedHeaderNames.contains($0) })
    }

    @Test(arguments: [DKIMKeyKind.rsa2048, .ed25519])
    func fieldIsFoldedAndVerifies(kind: DKIMKeyKind) async throws {
        let key = try DKIMPrivateKey.generate(kind)
        let signer = DKIMSigner(domain: "example.com", selector: "sel", key: key)
        let field = try signer.signatureField(for: dkimScan(Self.message, .signing), timestamp: 1_700_000_000)
        #expect(field.hasPrefix("DKIM-Signature: v=1; a=\(key.algorithm.rawValue); c=relaxed/relaxed; d=example.com;"))
        #expect(field.contains(" s=sel;") || field.contains("\ts=sel;"))
        #expect(field.hasSuffix("\n") && !field.hasSuffix("\n\n"))
        #expect(!field.contains("\r") && !field.contains("l="))
        let lines = field.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.replacingOccurrences(of: "\t", with: "        ").count <= 78 })
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("\t") })
        #expect(field.contains("t=1700000000;"))

        var dns = InMemoryDNS()
        dns.addTXT("sel._domainkey.example.com", key.publicKeyRecord)
        let results = await DKIMVerifier(dns: dns).verify(dkimScan(field + Self.message), now: 1_700_000_100)
        #expect(results.map(\.result) == [.pass])

        // An added To (oversigned) breaks it; an added Received does not.
        let addedTo = await DKIMVerifier(dns: dns).verify(dkimScan(field + "To: mallory@evil.example\n" + Self.message),
                                                          now: 1_700_000_100)
        #expect(addedTo.map(\.result) == [.fail])
        let addedReceived = await DKIMVerifier(dns: dns).verify(dkimScan("Received: from c\n" + field + Self.message),
                                                                now: 1_700_000_100)
        #expect(addedReceived.map(\.result) == [.pass])
    }

    @Test func scanForVerifyingCannotBeSigned() throws {
        let key = try DKIMPrivateKey.generate(.ed25519)
        #expect(throws: DKIMSigningError.noBodyHash) {
            try DKIMSigner(domain: "example.com", selector: "s", key: key)
                .signatureField(for: dkimScan(Self.message), timestamp: 0)
        }
    }
}
