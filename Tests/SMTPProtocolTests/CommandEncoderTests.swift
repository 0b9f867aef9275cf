import NIOCore
import Testing
@testable import SMTPProtocol

@Suite("Command encoder (client side of RFC 5321 §4.1)")
struct CommandEncoderTests {
    static let alice = SMTPMailbox(localPart: "alice", domain: "example.org")

    static let cases: [(SMTPCommand, String)] = [
        (.ehlo("client.example"), "EHLO client.example"),
        (.helo("[192.0.2.1]"), "HELO [192.0.2.1]"),
        (.mail(.null, []), "MAIL FROM:<>"),
        (.mail(.mailbox(alice), SMTPMailParameters(size: 1234, body: .eightBitMIME, smtputf8: true, ret: .headers,
                                                   envelopeID: "q=1 +x", auth: "alice@example.org").parameters),
         "MAIL FROM:<alice@example.org> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=q+3D1+20+2Bx AUTH=alice@example.org"),
        (.mail(.mailbox(alice), SMTPMailParameters(body: .sevenBit, auth: "<>").parameters), "MAIL FROM:<alice@example.org> BODY=7BIT AUTH=<>"),
        (.rcpt(alice, SMTPRecipientParameters(notify: [.success, .failure, .delay], originalRecipient: "alice@example.org").parameters),
         "RCPT TO:<alice@example.org> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;alice@example.org"),
        (.rcpt(alice, SMTPRecipientParameters(notify: .never).parameters), "RCPT TO:<alice@example.org> NOTIFY=NEVER"),
        (.rcpt(SMTPMailbox(localPart: "Postmaster", domain: ""), []), "RCPT TO:<Postmaster>"),
        (.rcpt(SMTPMailbox(localPart: "a b", domain: "example.org"), []), "RCPT TO:<\"a b\"@example.org>"),
        (.data, "DATA"), (.bdat(size: 100, last: true), "BDAT 100 LAST"), (.bdat(size: 0, last: false), "BDAT 0"),
        (.rset, "RSET"), (.quit, "QUIT"), (.noop, "NOOP"), (.starttls, "STARTTLS"),
        (.auth(mechanism: "PLAIN", initialResponse: Array("AGEAYg==".utf8)), "AUTH PLAIN AGEAYg=="),
        (.auth(mechanism: "LOGIN", initialResponse: nil), "AUTH LOGIN"),
    ]

    @Test(arguments: cases)
    func encodesAndTheServerParsesItBack(command: SMTPCommand, line: String) {
        #expect(SMTPCommandEncoder.line(command) == line)
        #expect(SMTPCommandParser.parse(Array(line.utf8)) == .success(command))
    }

    @Test func writesCRLF() {
        var buffer = ByteBuffer()
        buffer.writeSMTPCommand(.quit)
        #expect(String(buffer: buffer) == "QUIT\r\n")
    }

    /// RFC 6533 §3: an address that is not ASCII goes in ORCPT as utf-8-addr.
    @Test func originalRecipientOutsideASCIIIsUTF8Typed() {
        let parameters = SMTPRecipientParameters(originalRecipient: "ü@example.org").parameters
        #expect(parameters == [SMTPParameter(keyword: "ORCPT", value: "utf-8;+C3+BC@example.org")])
    }

    // MARK: random round trips, both ways

    static func randomMailbox(_ generator: inout some RandomNumberGenerator) -> SMTPMailbox {
        let locals = ["a", "first.last", "x+tag", "\"q\\\"uote\"", "a b", "ü", "日本", "o'neil", "-"]
        var local = locals.randomElement(using: &generator)!
        if local.hasPrefix("\"") { local = "q\"uote" }
        let domains = ["example.org", "[192.0.2.1]", "[IPv6:2001:db8::1]", "xn--bcher-kva.example", "bücher.example"]
        return SMTPMailbox(localPart: local, domain: domains.randomElement(using: &generator)!)
    }

    static func randomCommand(_ generator: inout some RandomNumberGenerator) -> SMTPCommand {
        switch Int.random(in: 0..<12, using: &generator) {
        case 0: return .ehlo(["client.example", "[192.0.2.1]", "日本.example"].randomElement(using: &generator)!)
        case 1: return .helo("h\(Int.random(in: 0...99, using: &generator)).example")
        case 2:
            let parameters = SMTPMailParameters(
                size: Bool.random(using: &generator) ? Int.random(in: 0...1_000_000_000, using: &generator) : nil,
                body: [nil, .sevenBit, .eightBitMIME].randomElement(using: &generator)!,
                smtputf8: Bool.random(using: &generator), ret: [nil, .full, .headers].randomElement(using: &generator)!,
                envelopeID: Bool.random(using: &generator) ? "env id=\(Int.random(in: 0...9, using: &generator))+é" : nil,
                auth: [nil, "<>", "a@b.example", "a b=c"].randomElement(using: &generator)!)
            return .mail(Bool.random(using: &generator) ? .null : .mailbox(randomMailbox(&generator)), parameters.parameters)
        case 3:
            let notify: DSNNotify? = [nil, .never, .success, [.failure, .delay], [.success, .failure, .delay]].randomElement(using: &generator)!
            let parameters = SMTPRecipientParameters(notify: notify,
                                                     originalRecipient: Bool.random(using: &generator) ? "\(randomMailbox(&generator))" : nil)
            return .rcpt(randomMailbox(&generator), parameters.parameters)
        case 4: return .bdat(size: Int.random(in: 0...999_999_999_999, using: &generator), last: Bool.random(using: &generator))
        case 5: return .auth(mechanism: ["PLAIN", "LOGIN", "SCRAM-SHA-256"].randomElement(using: &generator)!,
                             initialResponse: Bool.random(using: &generator) ? Array("dXNlcg==".utf8) : nil)
        default: return [.data, .rset, .quit, .noop, .starttls, .help].randomElement(using: &generator)!
        }
    }

    @Test func parsingWhatTheClientEncodesGivesTheCommandBack() {
        var generator = SplitMix(seed: 5321)
        for _ in 0..<3000 {
            let command = Self.randomCommand(&generator)
            let line = SMTPCommandEncoder.line(command)
            #expect(SMTPCommandParser.parse(Array(line.utf8)) == .success(command), "\(line)")
        }
    }

    @Test func encodingWhatTheServerParsedGivesTheLineBack() throws {
        var generator = SplitMix(seed: 2920)
        for _ in 0..<3000 {
            let line = SMTPCommandEncoder.line(Self.randomCommand(&generator))
            let parsed = try SMTPCommandParser.parse(Array(line.utf8)).get()
            #expect(SMTPCommandEncoder.line(parsed) == line)
        }
    }
}
