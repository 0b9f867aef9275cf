import NIOCore
import Testing
@testable import SMTPProtocol
import ProtocolSupport

@Suite("CRLF-strict command framing")
struct CommandLineFramerTests {
    func events(_ input: String, limit: Int = 512) -> [CommandLineFramer.Event] {
        var framer = CommandLineFramer(maximumLineLength: limit)
        var buffer = ByteBuffer(string: input)
        var events: [CommandLineFramer.Event] = []
        while let event = framer.next(from: &buffer) { events.append(event) }
        return events
    }

    @Test func splitsPipelinedCommands() {
        #expect(events("NOOP\r\nRSET\r\nQUIT\r\n") == [.line(Array("NOOP".utf8)), .line(Array("RSET".utf8)), .line(Array("QUIT".utf8))])
    }

    @Test func waitsForTheLineEnd() {
        #expect(events("NOO").isEmpty)
        #expect(events("NOOP\r").isEmpty)
    }

    @Test func rejectsBareLineFeedInCommand() {
        #expect(events("NOOP\nRSET\r\n") == [.bareLineEnding, .line(Array("RSET".utf8))])
    }

    @Test func rejectsBareCarriageReturnInCommand() {
        #expect(events("NOOP\rRSET\r\nQUIT\r\n") == [.bareLineEnding, .line(Array("QUIT".utf8))])
    }

    @Test func rejectsLongLineOnceAndRecovers() {
        let long = String(repeating: "A", count: 600)
        #expect(events("\(long)\r\nNOOP\r\n") == [.lineTooLong, .line(Array("NOOP".utf8))])
        // exactly at the limit: 510 octets + CRLF = 512
        let fits = String(repeating: "B", count: 510)
        #expect(events("\(fits)\r\n") == [.line(Array(fits.utf8))])
        #expect(events(String(repeating: "C", count: 511) + "\r\n") == [.lineTooLong])
    }

    @Test func discardsLongLineAcrossReads() {
        var framer = CommandLineFramer(maximumLineLength: 16)
        var first = ByteBuffer(string: String(repeating: "x", count: 40))
        #expect(framer.next(from: &first) == nil)
        #expect(first.readableBytes == 0)  // bounded: nothing kept
        var second = ByteBuffer(string: "yyy\r\nNOOP\r\n")
        #expect(framer.next(from: &second) == .lineTooLong)
        #expect(framer.next(from: &second) == .line(Array("NOOP".utf8)))
    }
}

@Suite("CRLF-strict message content decoder")
struct MessageContentDecoderTests {
    struct Outcome: Equatable {
        var ended: Bool
        var content: String
        var problems: MessageContentDecoder.Problems
        var rest: String
    }

    func decodeData(_ input: String, maximumSize: Int = 1_000_000, splitEvery: Int? = nil) -> Outcome {
        var decoder = MessageContentDecoder(framing: .dotTerminated, maximumSize: maximumSize)
        var output = ByteBuffer()
        let bytes = Array(input.utf8)
        let step = splitEvery ?? max(bytes.count, 1)
        var offset = 0
        var ended = false
        var rest = ByteBuffer()
        while offset < bytes.count && !ended {
            var piece = ByteBuffer(bytes: bytes[offset..<min(offset + step, bytes.count)])
            offset += step
            ended = decoder.decodeDotTerminated(&piece, into: &output)
            if ended { rest = piece; rest.writeBytes(bytes[min(offset, bytes.count)...]) }
        }
        return Outcome(ended: ended, content: String(buffer: output), problems: decoder.problems, rest: String(buffer: rest))
    }

    @Test func endsAtCRLFDotCRLFAndConvertsToLF() {
        let outcome = decodeData("Subject: x\r\n\r\nHello\r\n.\r\nQUIT\r\n")
        #expect(outcome == Outcome(ended: true, content: "Subject: x\n\nHello\n", problems: [], rest: "QUIT\r\n"))
    }

    @Test func emptyMessage() {
        #expect(decodeData(".\r\n") == Outcome(ended: true, content: "", problems: [], rest: ""))
    }

    @Test func unstuffsDots() {
        #expect(decodeData("..leading\r\n...\r\n.x\r\n.\r\n").content == ".leading\n..\nx\n")
    }

    @Test("the same result however the input is split", arguments: [1, 2, 3, 7])
    func splitInput(step: Int) {
        let outcome = decodeData("a\r\n..b\r\n\r\n.\r\nNOOP\r\n", splitEvery: step)
        #expect(outcome.ended)
        #expect(outcome.content == "a\n.b\n\n")
        #expect(outcome.problems.isEmpty)
    }

    /// Text inside a line is skipped eight octets at a time: whole-buffer decoding must agree
    /// with octet-by-octet decoding wherever a line end, a bare CR or LF, the 998-octet line
    /// limit or the size limit falls within those eight.
    @Test func theWordAtATimeScanAgreesWithOctetByOctet() {
        var inputs: [String] = []
        for offset in 0..<17 {
            let text = String(repeating: "x", count: offset)
            for mark in ["\r\n", "\n", "\r", "\r\r\n", "\r\n..", "\r\n.\r"] {
                inputs.append("head\r\n\(text)\(mark)tail of the line\r\n.\r\nNOOP\r\n")
            }
        }
        for length in [990, 997, 998, 999, 1005] {
            inputs.append("a\r\n" + String(repeating: "y", count: length) + "\r\nb\r\n.\r\n")
        }
        for input in inputs {
            for maximumSize in [10, 23, 31, 1_000_000] {
                var whole = decodeData(input, maximumSize: maximumSize)
                var octets = decodeData(input, maximumSize: maximumSize, splitEvery: 1)
                // A rejected message's content is never stored: only its problems must agree.
                if !whole.problems.isEmpty { (whole.content, octets.content) = ("", "") }
                #expect(whole == octets, "\(Array(input.utf8))")
            }
        }
        let long = { (n: Int) in self.decodeData("a\r\n" + String(repeating: "y", count: n) + "\r\n.\r\n").problems }
        #expect(long(998).isEmpty && long(999) == .lineTooLong)
    }

    /// Endings that other software may take for the end of data: none of them ends it here,
    /// and each marks the message as rejected (SMTP smuggling, 2023).
    static let smugglingEndings = ["\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r", "\n.\r"]

    @Test("smuggling endings neither end the data nor pass", arguments: smugglingEndings)
    func rejectsSmugglingEnding(ending: String) {
        let smuggled = "Subject: x\r\n\r\nbody\(ending)MAIL FROM:<evil@x>\r\nRCPT TO:<bob@y>\r\nDATA\r\nsmuggled\r\n"
        let outcome = decodeData(smuggled + ".\r\nNOOP\r\n")
        #expect(outcome.ended)
        #expect(outcome.rest == "NOOP\r\n", "the data must end at the real CRLF.CRLF only")
        #expect(outcome.problems.contains(.bareLineEnding))
    }

    @Test func rejectsBareLineFeedInBody() {
        #expect(decodeData("a\nb\r\n.\r\n").problems == .bareLineEnding)
    }

    @Test func rejectsBareCarriageReturnInBody() {
        #expect(decodeData("a\rb\r\n.\r\n").problems == .bareLineEnding)
    }

    @Test func rejectsLineOver998Octets() {
        let ok = String(repeating: "x", count: 998)
        #expect(decodeData("\(ok)\r\n.\r\n").problems.isEmpty)
        #expect(decodeData("\(ok)y\r\n.\r\n").problems == .lineTooLong)
    }

    @Test func enforcesSizeWhileStreaming() {
        let outcome = decodeData(String(repeating: "0123456789\r\n", count: 100) + ".\r\n", maximumSize: 500)
        #expect(outcome.ended)
        #expect(outcome.problems == .tooLarge)
        #expect(outcome.content.utf8.count <= 1200, "output stops once the limit is passed")
    }

    @Test func countsSizeInWireForm() {
        var decoder = MessageContentDecoder(framing: .dotTerminated, maximumSize: 100)
        var input = ByteBuffer(string: "ab\r\n..c\r\n.\r\n")
        var output = ByteBuffer()
        #expect(decoder.decodeDotTerminated(&input, into: &output))
        #expect(decoder.size == 8)  // "ab\r\n" + ".c\r\n" after unstuffing
    }

    @Test func chunkedContentIsTakenAsIs() {
        var decoder = MessageContentDecoder(framing: .chunked, maximumSize: 100)
        var output = ByteBuffer()
        var first = ByteBuffer(string: "a\r\n.\r")
        #expect(decoder.decodeChunk(&first, limit: 100, into: &output) == 5)
        var second = ByteBuffer(string: "\nb\r\nEXTRA")
        #expect(decoder.decodeChunk(&second, limit: 4, into: &output) == 4)
        decoder.finishChunks()
        #expect(String(buffer: output) == "a\n.\nb\n")
        #expect(decoder.problems.isEmpty)
        #expect(second.readableBytes == 5)
    }

    @Test func chunkedContentEndingInCRIsRejected() {
        var decoder = MessageContentDecoder(framing: .chunked, maximumSize: 100)
        var output = ByteBuffer()
        var input = ByteBuffer(string: "a\r\nb\r")
        _ = decoder.decodeChunk(&input, limit: 100, into: &output)
        decoder.finishChunks()
        #expect(decoder.problems == .bareLineEnding)
    }

    @Test func chunkedBareLineFeedIsRejected() {
        var decoder = MessageContentDecoder(framing: .chunked, maximumSize: 100)
        var output = ByteBuffer()
        var input = ByteBuffer(string: "a\nb\r\n")
        _ = decoder.decodeChunk(&input, limit: 100, into: &output)
        decoder.finishChunks()
        #expect(decoder.problems == .bareLineEnding)
    }
}
