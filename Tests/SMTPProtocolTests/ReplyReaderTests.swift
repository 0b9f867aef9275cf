import NIOCore
import Testing
@testable import SMTPProtocol

@Suite("Reply reader (client side of RFC 5321 §4.2)")
struct ReplyReaderTests {
    func replies(_ wire: String) throws(SMTPReplyReadError) -> [SMTPReply] {
        var reader = SMTPReplyReader()
        reader.append(ByteBuffer(string: wire))
        var out: [SMTPReply] = []
        while let reply = try reader.nextReply() { out.append(reply) }
        return out
    }

    func failure(_ wire: String) -> SMTPReplyReadError? {
        do { _ = try replies(wire); return nil } catch { return error }
    }

    static let cases: [(String, SMTPReply)] = [
        ("220 mx.example ESMTP\r\n", SMTPReply(220, nil, "mx.example ESMTP")),
        ("250\r\n", SMTPReply(250, nil, "")),
        ("550 5.1.1 No such user\r\n", SMTPReply(550, "5.1.1", "No such user")),
        ("250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n", SMTPReply(250, nil, ["mx", "PIPELINING", "SIZE 10"])),
        ("451-4.3.0 a\r\n451 4.3.0 b\r\n", SMTPReply(451, "4.3.0", ["a", "b"])),
        // RFC 2034 §4: the class must match the reply; otherwise it is text.
        ("250 5.1.1 odd\r\n", SMTPReply(250, nil, "5.1.1 odd")),
        ("452 4.5.3.1 x\r\n", SMTPReply(452, nil, "4.5.3.1 x")),
        ("554 5.1234.1 x\r\n", SMTPReply(554, nil, "5.1234.1 x")),
        // only the first line decides; a later line without it keeps its text
        ("550-5.7.1 a\r\n550 b\r\n", SMTPReply(550, "5.7.1", ["a", "b"])),
        ("221 2.0.0\r\n", SMTPReply(221, "2.0.0", "")),
    ]

    @Test(arguments: cases)
    func parses(wire: String, reply: SMTPReply) throws {
        #expect(try replies(wire) == [reply])
    }

    @Test func waitsForTheLastLineAcrossReads() throws {
        var reader = SMTPReplyReader()
        reader.append(ByteBuffer(string: "250-mx\r\n25"))
        #expect(try reader.nextReply() == nil)
        #expect(reader.bufferedOctets == 10)
        reader.append(ByteBuffer(string: "0 DSN\r\n220 next"))
        #expect(try reader.nextReply() == SMTPReply(250, nil, ["mx", "DSN"]))
        #expect(reader.bufferedOctets == 8, "the start of the next reply stays buffered")
    }

    @Test(arguments: ["SSH-2.0-x\r\n", "600 no\r\n", "199 no\r\n", "260 second digit\r\n", "250x\r\n", "25\r\n", "\r\n"])
    func refusesMalformedLines(wire: String) {
        guard case .malformedLine? = failure(wire) else {
            Issue.record("\(wire.debugDescription) was not refused as malformed")
            return
        }
    }

    @Test func refusesACodeChangeWithinAReply() {
        #expect(failure("250-a\r\n550 b\r\n") == .codeChanged(from: 250, to: 550, line: Array("550 b".utf8)))
    }

    @Test func refusesBareLineEnds() {
        #expect(failure("250 ok\n") == .bareLineEnding)
        #expect(failure("250 o\rk\r\n") == .bareLineEnding)
    }

    @Test func boundsLinesAndReplies() {
        #expect(failure("250 " + String(repeating: "x", count: SMTPReplyReader.maximumLineLength)) == .lineTooLong)
        #expect(failure(String(repeating: "250-x\r\n", count: SMTPReplyReader.maximumLines + 1)) == .tooManyLines)
        // the tolerance: a line of 1000 octets (over RFC 5321's 512) still reads
        #expect(failure("250 " + String(repeating: "x", count: 1000) + "\r\n") == nil)
    }

    // MARK: round trips with the server's writer, both ways

    /// Text the writer may write and the reader must give back: printable ASCII and UTF-8,
    /// never starting with something that reads as an enhanced code when none is given.
    static func randomReply(_ generator: inout some RandomNumberGenerator) -> SMTPReply {
        let code = Int.random(in: 2...5, using: &generator) * 100 + Int.random(in: 0...5, using: &generator) * 10
            + Int.random(in: 0...9, using: &generator)
        let enhanced: String? = [2, 4, 5].contains(code / 100) && Bool.random(using: &generator)
            ? "\(code / 100).\(Int.random(in: 0...999, using: &generator)).\(Int.random(in: 0...999, using: &generator))" : nil
        let alphabet = Array("abc XYZ-0.9:;<>é日".unicodeScalars)
        let lines = (0..<Int.random(in: 1...5, using: &generator)).map { _ in
            var text = "t"  // a letter first: never read as an enhanced code
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                text.unicodeScalars.append(alphabet.randomElement(using: &generator)!)
            }
            return text
        }
        return SMTPReply(code, enhanced, lines)
    }

    @Test func parsingWhatTheServerWritesGivesTheReplyBack() throws {
        var generator = SplitMix(seed: 2034)
        for _ in 0..<2000 {
            let reply = Self.randomReply(&generator)
            var wire = ByteBuffer()
            wire.writeSMTPReply(reply)
            #expect(try replies(String(buffer: wire)) == [reply])
        }
    }

    @Test func writingWhatWasParsedGivesTheWireBack() throws {
        var generator = SplitMix(seed: 3463)
        for _ in 0..<2000 {
            var original = ByteBuffer()
            original.writeSMTPReply(Self.randomReply(&generator))
            let wire = String(buffer: original)
            let parsed = try replies(wire)
            #expect(parsed.count == 1)
            var rewritten = ByteBuffer()
            parsed.forEach { rewritten.writeSMTPReply($0) }
            #expect(String(buffer: rewritten) == wire)
        }
    }
}

/// SplitMix64: a fixed-seed generator, so a failing case repeats.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
