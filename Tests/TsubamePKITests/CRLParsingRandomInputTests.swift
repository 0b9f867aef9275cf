import Foundation
import Testing
@testable import TsubamePKI

/// A CRL read back from disk (`cert show`, the server's upkeep) may be damaged: every mutation of
/// a valid CRL parses or is refused with PKIError, never a crash; one that still parses but was
/// changed does not verify. Fixed seed, so a failure repeats.
@Suite("CRL parsing on damaged input")
struct CRLParsingRandomInputTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    @Test func mutatedCRLsAreRefusedOrFailVerification() throws {
        let folder = try TemporaryDirectory()
        let ca = try CertificateAuthority.create(name: "Damage Test CA")
        try ca.save(to: folder.tls)
        _ = try Revocation.revoke(try CertificateSerial(parsing: "01:02:03"), reason: .keyCompromise,
                                  authority: ca, paths: folder.tls)
        let original = try #require(try Revocation.loadCRL(paths: folder.tls)).derEncoded
        var generator = Generator(state: 0x2545_F491_4F6C_DD1D)
        var refused = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.removeLast(Int.random(in: 0...min(40, bytes.count - 1), using: &generator))
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: Int.random(in: 0..<bytes.count, using: &generator))
                }
            }
            do {
                let crl = try CertificateRevocationList(derEncoded: bytes, what: "damaged")
                if bytes != original { #expect(!crl.isIssued(by: ca.certificate), "a changed CRL verified") }
            } catch is PKIError {
                refused += 1
            } catch {
                Issue.record("not a PKIError: \(error)")
            }
        }
        #expect(refused > 1000)
    }

    @Test func damagedRevocationLogsAreRefusedNotFatal() {
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15)
        let valid = Array("crl-number 3\n5a1b9c 2026-03-01T12:00:00Z keyCompromise\n".utf8)
        for _ in 0..<2000 {
            var bytes = valid
            bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            do {
                _ = try RevocationLog(parsing: String(decoding: bytes, as: UTF8.self), what: "damaged")
            } catch is PKIError {
            } catch {
                Issue.record("not a PKIError: \(error)")
            }
        }
    }
}
