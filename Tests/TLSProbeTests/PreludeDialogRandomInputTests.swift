import NIOCore
import Testing
@testable import TLSProbe

/// Whatever a server sends, the dialog answers with an action or a PreludeError, never a crash,
/// and it never holds more than a bounded line. Inputs come from a fixed-seed generator, so a
/// failure repeats.
@Suite("Prelude dialog on random input")
struct PreludeDialogRandomInputTests {
    /// xorshift64*: small, deterministic, good enough to shuffle bytes.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    /// Bytes that look like replies often enough to reach deep states: digits, separators, CR/LF.
    static let alphabet = Array("0123456789 -+OKERRSTARTTLS\r\n\r\n".utf8) + [0, 0xFF, 0x7F, 0x1B]

    @Test(arguments: [StartTLSProtocol.smtp, .pop3])
    func randomRepliesEndInAnActionOrAnError(_ kind: StartTLSProtocol) {
        var generator = Generator(state: kind == .smtp ? 0x9E37_79B9_7F4A_7C15 : 0xD1B5_4A32_D192_ED03)
        var outcomes: [String: Int] = [:]
        for _ in 0..<2000 {
            var dialog = PreludeDialog(protocol: kind, clientName: "[127.0.0.1]")
            var finished = false
            for _ in 0..<Int.random(in: 1...8, using: &generator) where !finished {
                let length = Int.random(in: 0...600, using: &generator)
                let bytes = (0..<length).map { _ in
                    Int.random(in: 0..<10, using: &generator) == 0
                        ? UInt8.random(in: 0...255, using: &generator)
                        : Self.alphabet.randomElement(using: &generator)!
                }
                do {
                    let action = try dialog.receive(ByteBuffer(bytes: bytes))
                    if action == .startTLS { finished = true; outcomes["startTLS", default: 0] += 1 }
                } catch is PreludeError {
                    finished = true
                    outcomes["error", default: 0] += 1
                } catch {
                    Issue.record("unexpected error type: \(error)")
                    finished = true
                }
            }
        }
        // the generator reaches refusals; a clean STARTTLS by chance is not needed
        #expect((outcomes["error"] ?? 0) > 100, "\(outcomes)")
    }

    @Test func anEndlessLineIsCutAtTheLimit() {
        var dialog = PreludeDialog(protocol: .smtp, clientName: "[127.0.0.1]")
        let chunk = ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "2"), count: 1000))
        var refused = false
        for _ in 0..<10 where !refused {
            do { _ = try dialog.receive(chunk) } catch { refused = true }
        }
        #expect(refused, "10,000 octets without a line end must be refused (limit \(PreludeDialog.maximumLineLength))")
    }
}
