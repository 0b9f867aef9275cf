import NIOCore
import Testing
@testable import IMAPProtocol

/// Hostile inputs: nesting bombs and huge claims get a BAD or a refusal, never a crash.
@Suite("IMAP stress")
struct StressTests {
    static let nestingBad = IMAPCommandError(tag: "a", text: "Too deeply nested")

    @Test func aParenthesisBombIsBAD() {
        let depth = 100_000
        let wire = "a SEARCH " + String(repeating: "(", count: depth) + "ALL" + String(repeating: ")", count: depth)
        #expect(IMAPCommandParser.parse(wire) == .failure(StressTests.nestingBad))
    }

    @Test func aNotChainIsBAD() {
        let wire = "a SEARCH " + String(repeating: "NOT ", count: 100_000) + "ALL"
        #expect(IMAPCommandParser.parse(wire) == .failure(StressTests.nestingBad))
    }

    @Test func anOrChainIsBAD() {
        let wire = "a UID SEARCH " + String(repeating: "OR ALL ", count: 100_000) + "ALL"
        #expect(IMAPCommandParser.parse(wire) == .failure(StressTests.nestingBad))
    }

    @Test func nestingUpToTheLimitIsFine() throws {
        let limits = IMAPLimits(maximumNestingDepth: 10)
        // The key itself is one level, each parenthesis one more (list + key).
        let wire = "a SEARCH " + String(repeating: "(", count: 4) + "ALL" + String(repeating: ")", count: 4)
        _ = try IMAPCommandParser.parse(wire, limits: limits).get()
        let deeper = "a SEARCH " + String(repeating: "(", count: 5) + "ALL" + String(repeating: ")", count: 5)
        #expect(IMAPCommandParser.parse(deeper, limits: limits) == .failure(StressTests.nestingBad))
    }

    @Test func aBombThroughTheFramerIsBADToo() {
        let depth = 30_000
        let wire = "a SEARCH " + String(repeating: "(", count: depth) + "\r\n"
        #expect(parseWire(Array(wire.utf8)) == .failure(IMAPCommandError(tag: "a", text: "Too deeply nested")))
    }

    @Test(arguments: ["{4294967295}", "{4294967296+}", "{18446744073709551616}", "{99999999999999999999999999999}"])
    func hugeLiteralClaimsAreRefusedWithoutReading(claim: String) {
        let events = frameEvents("a APPEND INBOX \(claim)\r\n")
        #expect(events.count == 1)
        switch events.first {
        case .refused(.literalTooLarge, tag: "a"), .fatal(.literalTooLarge, tag: "a"): break
        default: Issue.record("\(events)")
        }
    }

    @Test func manyLinesOfLiteralsStayWithinTheCommandBound() {
        let limits = IMAPLimits(maximumCommandSize: 10_000)
        let wire = "a APPEND x" + String(repeating: " {100+}\r\n" + String(repeating: "x", count: 100), count: 200) + "\r\n"
        let events = frameEvents(wire, limits: limits)
        #expect(events.first == .fatal(.commandTooLarge, tag: "a"))
        #expect(events.count == 1)
    }
}
