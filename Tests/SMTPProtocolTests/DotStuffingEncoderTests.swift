import NIOCore
import Testing
@testable import SMTPProtocol

@Suite("Dot-stuffing content encoder (RFC 5321 §4.5.2)")
struct DotStuffingEncoderTests {
    func encode(_ pieces: [String]) -> String {
        var encoder = DotStuffingEncoder()
        var output = ByteBuffer()
        for piece in pieces { encoder.encode(ByteBuffer(string: piece), into: &output) }
        encoder.finish(into: &output)
        return String(buffer: output)
    }

    static let cases: [([String], String)] = [
        ([""], ".\r\n"),
        (["a\nb\n"], "a\r\nb\r\n.\r\n"),
        (["a\r\nb\r\n"], "a\r\nb\r\n.\r\n"),
        (["no final line end"], "no final line end\r\n.\r\n"),
        ([".\n..x\n"], "..\r\n...x\r\n.\r\n"),
        (["a\r", "\n.b"], "a\r\n..b\r\n.\r\n"),
        (["a\r", ".b\n"], "a\r\n..b\r\n.\r\n"),  // a CR alone is a line end on the wire, never a bare CR
        (["x\n", ".", "\n"], "x\r\n..\r\n.\r\n"),
        (["mid.dot\n"], "mid.dot\r\n.\r\n"),
    ]

    @Test(arguments: cases)
    func encodes(pieces: [String], wire: String) {
        #expect(encode(pieces) == wire)
    }

    /// The server's decoder is the inverse: random stored content (LF or CRLF line ends, dots,
    /// 8-bit octets) cut anywhere comes back as the same lines, with LF ends, and the
    /// decoder ends exactly at the end marker without a problem.
    @Test func theServersDecoderGivesTheContentBack() {
        var generator = SplitMix(seed: 4_552)
        let alphabet: [UInt8] = Array("a.\n.\r\n ..x".utf8) + [0xC3, 0xA9, 0x00]
        for round in 0..<1500 {
            let crlf = round % 2 == 0
            var content: [UInt8] = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }.filter { $0 != UInt8(ascii: "\r") }
            if crlf { content = content.flatMap { $0 == UInt8(ascii: "\n") ? [13, 10] : [$0] } }

            var wire = Self.encodeInPieces(content, largestPiece: 17, using: &generator)
            wire.writeString("NEXT")  // whatever follows must stay unread

            var decoder = MessageContentDecoder(framing: .dotTerminated, maximumSize: .max, maximumLineLength: .max)
            var decoded = ByteBuffer()
            #expect(decoder.decodeDotTerminated(&wire, into: &decoded))
            #expect(decoder.problems.isEmpty)
            #expect(String(buffer: wire) == "NEXT")
            var expected = content.filter { $0 != UInt8(ascii: "\r") }
            if let last = expected.last, last != UInt8(ascii: "\n") { expected.append(UInt8(ascii: "\n")) }
            #expect(Array(decoded.readableBytesView) == expected, "round \(round)")
        }
    }
    /// The run-scanning encoder against the rule written byte by byte: random content with LF,
    /// CRLF, bare CRs and dots, cut anywhere.
    @Test func matchesTheByteByByteRule() {
        var generator = SplitMix(seed: 9_021)
        let alphabet: [UInt8] = Array("ab.\r\n..\r\n x".utf8) + [0xC3, 0x00]
        for round in 0..<2000 {
            let content: [UInt8] = (0..<Int.random(in: 0...200, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            let wire = Self.encodeInPieces(content, largestPiece: 13, using: &generator)
            #expect(Array(wire.readableBytesView) == Self.byteByByte(content), "round \(round)")
        }
    }

    /// Encodes `content` cut into pieces of random sizes, then finishes it.
    static func encodeInPieces(_ content: [UInt8], largestPiece: Int, using generator: inout SplitMix) -> ByteBuffer {
        var encoder = DotStuffingEncoder()
        var wire = ByteBuffer()
        var start = 0
        while start < content.count {
            let end = min(content.count, start + Int.random(in: 1...largestPiece, using: &generator))
            encoder.encode(ByteBuffer(bytes: content[start..<end]), into: &wire)
            start = end
        }
        encoder.finish(into: &wire)
        return wire
    }

    /// Every CR, LF or CRLF is one CRLF; a "." first on a line is doubled; an unterminated last
    /// line gets its CRLF; then "." CRLF.
    static func byteByByte(_ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var atLineStart = true
        var index = 0
        while index < content.count {
            let byte = content[index]
            if byte == 13 || byte == 10 {
                out += [13, 10]
                atLineStart = true
                index += (byte == 13 && index + 1 < content.count && content[index + 1] == 10) ? 2 : 1
                continue
            }
            if atLineStart && byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = false
            index += 1
        }
        if !atLineStart { out += [13, 10] }
        return out + Array(".\r\n".utf8)
    }
}
