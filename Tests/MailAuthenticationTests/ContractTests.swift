import MailAuthentication
import Testing

@Suite struct MailAuthenticationContractTests {
    @Test func keyKindsAreTheDocumentedOnes() {
        #expect(DKIMKeyKind.allCases.map(\.rawValue) == ["rsa-2048", "rsa-3072", "ed25519"])
    }
}
