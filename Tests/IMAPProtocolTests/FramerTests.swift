import NIOCore
import Testing
@testable import IMAPProtocol

@Suite("IMAP framer")
struct FramerTests {
    func frame(_ text: String, streamed: [IMAPFrame.StreamedLiteral] = []) -> IMAPFramer.Event {
        .frame(IMAPFrame(bytes: Array(text.utf8), streamedLiterals: streamed))
    }

    @Test func cutsLinesAtCRLF() {
        #expect(frameEvents("a NOOP\r\nb LOGOUT\r\n") == [frame("a NOOP"), frame("b LOGOUT")])
    }

    @Test func acceptsABareLineFeedAsDovecotDoes() {
        #expect(frameEvents("a NOOP\nb LOGOUT\r\n") == [frame("a NOOP"), frame("b LOGOUT")])
    }

    @Test func skipsBlankLinesBetweenCommands() {
        #expect(frameEvents("\r\n\na NOOP\r\n") == [frame("a NOOP")])
    }

    @Test func waitsForTheLineEnd() {
        #expect(frameEvents("a NOO").isEmpty)
    }

    @Test func asksForContinuationBeforeASynchronizingLiteral() {
        let events = frameEvents("a LOGIN {5}\r\nalice {6}\r\nsecret\r\n")
        #expect(events == [.needsContinuation(octets: 5), .needsContinuation(octets: 6),
                           frame("a LOGIN {5}\r\nalice {6}\r\nsecret")])
    }

    @Test func readsANonSynchronizingLiteralWithoutAsking() {
        #expect(frameEvents("a LOGIN {5+}\r\nalice pw\r\n") == [frame("a LOGIN {5+}\r\nalice pw")])
    }

    @Test func aLiteralMayHoldLineEndsAndBraces() {
        #expect(frameEvents("a LOGIN {4+}\r\n\r\n}\n pw\r\n") == [frame("a LOGIN {4+}\r\n\r\n}\n pw")])
    }

    @Test func normalisesABareLineFeedAfterALiteralAnnouncement() {
        #expect(frameEvents("a LOGIN {5+}\nalice pw\n") == [frame("a LOGIN {5+}\r\nalice pw")])
    }

    @Test func aBraceInsideAQuotedStringIsNoLiteral() {
        #expect(frameEvents("a LOGIN alice \"{5}\"\r\n") == [frame("a LOGIN alice \"{5}\"")])
        #expect(frameEvents("a SELECT \"x\\\" {5}\r\n") == [frame("a SELECT \"x\\\" {5}")])
    }

    @Test(arguments: [1, 2, 3, 5, 7, 13])
    func readsSplitAtAnyPointGiveTheSameEvents(chunk: Int) {
        let wire = "a APPEND INBOX (\\Seen) {11}\r\nhello\r\nworld {3+}\r\nabc\r\nb NOOP\r\n"
        #expect(merged(frameEvents(wire, chunk: chunk)) == merged(frameEvents(wire)))
    }

    @Test func everySplitPointOfALiteralGivesTheSameFrame() {
        let wire = Array("t1 LOGIN {3+}\r\nabc {2}\r\nxy\r\n".utf8)
        let whole = frameEvents(wire)
        for cut in 0...wire.count {
            var framer = IMAPFramer()
            var events: [IMAPFramer.Event] = []
            var buffer = ByteBuffer(bytes: wire[..<cut])
            while let event = framer.next(from: &buffer) { events.append(event) }
            buffer.writeBytes(wire[cut...])
            while let event = framer.next(from: &buffer) { events.append(event) }
            #expect(events == whole, "cut at \(cut)")
        }
    }

    @Test func refusesAnOversizeSynchronizingLiteralBeforeItIsSent() {
        let limits = IMAPLimits(appendLimit: 1000)
        let events = frameEvents("a APPEND INBOX {1001}\r\nb NOOP\r\n", limits: limits)
        #expect(events == [.refused(.literalTooLarge(1001), tag: "a"), frame("b NOOP")])
    }

    @Test func aHugeLiteralClaimIsRefusedNotAllocated() {
        let events = frameEvents("a APPEND INBOX {99999999999999999999999}\r\nb NOOP\r\n")
        #expect(events == [.refused(.literalTooLarge(Int.max), tag: "a"), frame("b NOOP")])
    }

    @Test func anOversizeNonSynchronizingLiteralIsFatal() {
        let limits = IMAPLimits(appendLimit: 1000)
        let events = frameEvents("a APPEND INBOX {1001+}\r\nb NOOP\r\nc NOOP\r\n", limits: limits)
        #expect(events == [.fatal(.literalTooLarge(1001), tag: "a")])
    }

    @Test func theServerCanRefuseALiteralItWasAskedAbout() {
        var framer = IMAPFramer()
        var buffer = ByteBuffer(string: "a LOGIN {5}\r\n")
        #expect(framer.next(from: &buffer) == .needsContinuation(octets: 5))
        framer.refuseLiteral()
        buffer.writeString("b NOOP\r\n")
        #expect(framer.next(from: &buffer) == frame("b NOOP"))
    }

    @Test func refusesBinaryLiterals() {
        #expect(frameEvents("a APPEND INBOX ~{5}\r\nb NOOP\r\n") == [.refused(.binaryLiteral, tag: "a"), frame("b NOOP")])
        #expect(frameEvents("a APPEND INBOX ~{5+}\r\nhello\r\n") == [.fatal(.binaryLiteral, tag: "a")])
    }

    @Test func acceptsLinesOfAtLeast8192Octets() {
        let line = "a SEARCH SUBJECT " + String(repeating: "x", count: IMAPLimits.minimumLineLength)
        #expect(frameEvents(line + "\r\n") == [frame(line)])
    }

    @Test(arguments: [nil, 100])
    func aLineOverTheLimitIsFatal(chunk: Int?) {
        let limits = IMAPLimits(maximumLineLength: 8192)
        let events = frameEvents("a SEARCH " + String(repeating: "x", count: 9000) + "\r\nb NOOP\r\n", limits: limits, chunk: chunk)
        #expect(events == [.fatal(.lineTooLong, tag: "a")])
    }

    @Test func aCommandOverTheLimitIsRefusedOrFatal() {
        let limits = IMAPLimits(maximumCommandSize: 100, inlineLiteralThreshold: 1000)
        #expect(frameEvents("a LOGIN {200}\r\nb NOOP\r\n", limits: limits) == [.refused(.commandTooLarge, tag: "a"), frame("b NOOP")])
        #expect(frameEvents("a LOGIN {200+}\r\n", limits: limits) == [.fatal(.commandTooLarge, tag: "a")])
    }

    @Test func countsLiteralsPerCommand() {
        let limits = IMAPLimits(maximumLiteralCount: 2)
        let events = frameEvents("a APPEND x {1+}\r\n1 {1+}\r\n2 {1}\r\n", limits: limits)
        #expect(events == [.refused(.tooManyLiterals, tag: "a")])
    }

    @Test func streamsLiteralsAboveTheThreshold() {
        let limits = IMAPLimits(inlineLiteralThreshold: 4)
        let events = merged(frameEvents("a APPEND INBOX {10}\r\n0123456789 {2+}\r\nab\r\n", limits: limits, chunk: 3))
        #expect(events == [
            .needsContinuation(octets: 10),
            .literalBytes(ByteBuffer(string: "0123456789")),
            frame("a APPEND INBOX {10}\r\n {2+}\r\nab", streamed: [.init(offset: 21, size: 10)]),
        ])
    }

    @Test func aStreamedLiteralGivesTheSameOctetsWhateverTheReads() {
        let limits = IMAPLimits(inlineLiteralThreshold: 8)
        let payload = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let wire = Array("a APPEND INBOX {200+}\r\n".utf8) + payload + Array(" {1+}\r\nz\r\nb NOOP\r\n".utf8)
        let expected: [IMAPFramer.Event] = [
            .literalBytes(ByteBuffer(bytes: payload)),
            frame("a APPEND INBOX {200+}\r\n {1+}\r\nz", streamed: [.init(offset: 23, size: 200)]),
            frame("b NOOP"),
        ]
        for chunk in [1, 2, 3, 16, 64, 199, 1000] {
            #expect(merged(frameEvents(wire, limits: limits, chunk: chunk)) == expected, "reads of \(chunk)")
        }
    }

    @Test func reportsWhetherItIsBetweenCommands() {
        var framer = IMAPFramer()
        var buffer = ByteBuffer(string: "a NOOP\r\nb STARTTLS\r\nc NO")
        _ = framer.next(from: &buffer)
        _ = framer.next(from: &buffer)
        #expect(framer.isAtCommandStart)
        _ = framer.next(from: &buffer)
        #expect(!framer.isAtCommandStart)
    }
}
