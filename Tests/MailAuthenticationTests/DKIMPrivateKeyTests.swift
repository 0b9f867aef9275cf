import Crypto
import Foundation
import MailAuthentication
import Testing
import _CryptoExtras

@Suite struct DKIMPrivateKeyTests {
    @Test(arguments: DKIMKeyKind.allCases)
    func generatedKeyRoundTripsThroughPKCS8PEM(kind: DKIMKeyKind) throws {
        let key = try DKIMPrivateKey.generate(kind)
        let pem = key.pemRepresentation
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let read = try DKIMPrivateKey(pemRepresentation: pem)
        #expect(read.algorithm == key.algorithm)
        #expect(read.bitCount == key.bitCount)
        #expect(read.publicKeyRecord == key.publicKeyRecord)
        #expect(read.pemRepresentation == pem)
        switch kind {
        case .rsa2048: #expect(key.bitCount == 2048 && key.algorithm == .rsaSHA256)
        case .rsa3072: #expect(key.bitCount == 3072 && key.algorithm == .rsaSHA256)
        case .ed25519: #expect(key.bitCount == nil && key.algorithm == .ed25519SHA256)
        }
    }

    @Test func readsPKCS1RSAPrivateKey() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        #expect(rsa.pemRepresentation.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let key = try DKIMPrivateKey(pemRepresentation: rsa.pemRepresentation)
        #expect(key.bitCount == 2048)
        #expect(key.publicKeyRecord == "v=DKIM1; k=rsa; p=\(rsa.publicKey.derRepresentation.base64EncodedString())")
    }

    @Test func readsOpenSSLEd25519Key() throws {
        // `openssl genpkey -algorithm ed25519` output (RFC 8410 §7 PKCS #8).
        let pem = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEIJeuoZPInvgsxWKY/PZL4huujR3IsoK272wpsiosiuOH
            -----END PRIVATE KEY-----

            """
        let key = try DKIMPrivateKey(pemRepresentation: pem)
        #expect(key.algorithm == .ed25519SHA256)
        let seed = Data(base64Encoded: "MC4CAQAwBQYDK2VwBCIEIJeuoZPInvgsxWKY/PZL4huujR3IsoK272wpsiosiuOH")!.suffix(32)
        let expected = try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation
        #expect(key.publicKeyRecord == "v=DKIM1; k=ed25519; p=\(expected.base64EncodedString())")
    }

    @Test func refusesRSA1024ForSigning() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        for pem in [small.pemRepresentation, small.pkcs8PEMRepresentation] {
            #expect(throws: DKIMKeyError.rsaKeyTooSmall(bits: 1024)) { try DKIMPrivateKey(pemRepresentation: pem) }
        }
    }

    @Test func refusesWhatIsNotAPrivateKey() {
        #expect(throws: DKIMKeyError.notPEM) { try DKIMPrivateKey(pemRepresentation: "hello") }
        #expect(throws: DKIMKeyError.self) {
            try DKIMPrivateKey(pemRepresentation: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        }
        #expect(throws: DKIMKeyError.self) {
            try DKIMPrivateKey(pemRepresentation: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        }
    }

    @Test func publicKeyRecordsHaveTheRFC6376Shape() throws {
        let rsa = try DKIMPrivateKey.generate(.rsa2048)
        #expect(rsa.publicKeyRecord.hasPrefix("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"))
        let ed = try DKIMPrivateKey.generate(.ed25519)
        let p = ed.publicKeyRecord.dropFirst("v=DKIM1; k=ed25519; p=".count)
        #expect(ed.publicKeyRecord.hasPrefix("v=DKIM1; k=ed25519; p="))
        #expect(Data(base64Encoded: String(p))?.count == 32)
    }
}
