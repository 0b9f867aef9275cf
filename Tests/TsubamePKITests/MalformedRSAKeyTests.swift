import Foundation
import Testing
@testable import TsubamePKI

/// Found by FuzzPKIReaders: a certificate whose RSA modulus BoringSSL refuses made swift-crypto
/// 3.12.3 free the key twice inside swift-certificates' parser (an abort in BoringSSL's refcount
/// under AddressSanitizer; without it, a silent double free). Tsubame checks the numbers first
/// and refuses the certificate with a reason; without that check this test sees another error.
@Suite struct MalformedRSAKeyTests {
    /// The fuzzer's input: an RSA 2048 leaf certificate with a few octets of its modulus changed.
    static let certificate = """
        MIICrDCCAlOgAwIBAgIEWhucDTAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9FeGFtcGxlIE1haWwgQ0EwHhcNMjYxMTMwMDcx
        MTQyWhcNMjgwMTAxMDcxMTQyWjAbMRkwFwYDVQQDDBBtYWlsLmV4YW1wbGUub3JnMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A
        MIIBCgKCAQEAv0yhToAtvQOzHqlBTMoAuJaozjv0uy557xBoM6XDC8GsTmUCuAA1GemyTlS8FYh7KWNG7G0xTrcr5fpXBxVQ
        5L9Iad5buifNYwr6jwdLMBVKtqVmDigaNdUO2gcQI8MqhYvw2FH6l4ERMhlDWl8ZOqm4jW/kv9eGQ5w3+E1Cm8sduLRIKr9N
        lobzvZRUmMVEWQj4uBF+VbJxmim9d4S/Tmf+GojdbX/Iko2cafNV34El9Tc50eBAuRzu97WbYdwaVlykFQ5j54b5bSREuPxq
        QtajrRu7SwNqG+0mxOQussFF9RFaRL4S+0OK4vOaR2HQ6FaH/TpgXKwCBAMCMBoxGAIDAQABo4G6MIG3MEIGA10dEQQ7MDmC
        EG1haWwuZXhhbXBsZS5vcmeCDSouZXhhbXBsZS5vcmeHBMAAAhmHECABDbgAAAAAAAAAAAAAACUwDAYDVR0TAQH/BAIwADAO
        BgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwEwHQYDVRYOBBYEFLLRyIuB5fIYmiBEbsnwOpbftY9zMB8GA1Ud
        IwQYMBaAFK5FYqqRuL0TXw7FkQhpAKmvUQeeMAoGCCqGSM49BAMCA0cAMEQCIFgsnCVxDaXfqchYNV0Jh1YnvZk5RaRbtBYQ
        ymidYcKoAiAVQ6yGsc8+HGAeCGONWqYgcPxv2FuAzYsWR8HF/4hLzA==
        """

    @Test func certificateWithAnRSAKeyBoringSSLRefusesIsRefusedNotFatal() throws {
        let der = try #require(Data(base64Encoded: Self.certificate.filter { !$0.isWhitespace }))
        let pem = "-----BEGIN CERTIFICATE-----\n" + der.base64EncodedString(options: .lineLength64Characters)
            + "\n-----END CERTIFICATE-----\n"
        expectRefusal(.invalidMaterial, containing: "has an RSA") {
            _ = try PEMFiles.parseCertificates(pem, what: "the certificate")
        }
    }
}
