import NIOCore
import ProtocolSupport
import SASL
import Testing
@testable import POP3Protocol

@Suite("POP3 command parser")
struct POP3ParserTests {
    static let valid: [(String, POP3Command)] = [
        ("USER alice@example.org", .user("alice@example.org")),
        ("user alice@example.org", .user("alice@example.org")),
        ("PASS correct horse battery", .pass("correct horse battery")),
        ("STAT", .stat), ("LIST", .list(nil)), ("LIST 3", .list(3)), ("UIDL", .uidl(nil)), ("UIDL 12", .uidl(12)),
        ("RETR 1", .retr(1)), ("DELE 2", .dele(2)), ("NOOP", .noop), ("RSET", .rset), ("QUIT", .quit),
        ("TOP 1 0", .top(1, lines: 0)), ("TOP 4 10", .top(4, lines: 10)), ("CAPA", .capa),
        ("AUTH", .auth(mechanism: nil, initialResponse: nil)),
        ("AUTH plain", .auth(mechanism: "PLAIN", initialResponse: nil)),
        ("AUTH PLAIN AGFsaWNlAHB3", .auth(mechanism: "PLAIN", initialResponse: Array("AGFsaWNlAHB3".utf8))),
        ("XYZZY", .unknown("XYZZY")),
    ]

    @Test(arguments: valid)
    func parses(line: String, expected: POP3Command) throws {
        #expect(try POP3CommandParser.parse(Array(line.utf8)).get() == expected)
    }

    static let invalid = ["USER", "USER a b", "PASS", "STAT 1", "LIST x", "LIST 0", "LIST 1 2", "RETR", "RETR -1",
                          "RETR 99999999999", "DELE a", "TOP 1", "TOP 1 x", "TOP 0 1", "QUIT now", "AUTH a b c"]

    @Test(arguments: invalid)
    func rejects(line: String) {
        if case .success(let command) = POP3CommandParser.parse(Array(line.utf8)) {
            Issue.record("\(line) parsed as \(command)")
        }
    }

    @Test func aUserNameMustBeUTF8() throws {
        let malformed = Array("USER a".utf8) + [0xC3, 0x28] + Array("@example.org".utf8)
        if case .success(let command) = POP3CommandParser.parse(malformed) { Issue.record("parsed as \(command)") }
        #expect(try POP3CommandParser.parse(Array("USER jörg@example.org".utf8)).get() == .user("jörg@example.org"))
        // Control characters are kept: the log escapes them, and no account matches.
        #expect(try POP3CommandParser.parse(Array("USER a\tb\u{1B}".utf8)).get() == .user("a\tb\u{1B}"))
    }

    /// Found with FuzzPOP3Command's invariant (a keyword is recognised only from its ASCII
    /// spelling): Unicode case mapping turned U+017F and U+0131 into "S" and "I".
    @Test func keywordsAreCaseInsensitiveInASCIIOnly() throws {
        let longS = "\u{17F}", dotlessI = "\u{131}"
        #expect(try POP3CommandParser.parse(Array("\(longS)TAT".utf8)).get() == .unknown("\(longS)TAT"))
        #expect(try POP3CommandParser.parse(Array("AUTH plai\(dotlessI)n".utf8)).get()
                == .auth(mechanism: "PLAI\(dotlessI)N", initialResponse: nil))
        #expect(try POP3CommandParser.parse(Array("auth plain".utf8)).get() == .auth(mechanism: "PLAIN", initialResponse: nil))
    }

    @Test func encodesResponsesWithCodes() {
        var buffer = ByteBuffer()
        buffer.writePOP3Response(.mailboxInUse)
        buffer.writePOP3Response(.ok("2 320"))
        #expect(String(buffer: buffer) == "-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n+OK 2 320\r\n")
    }

    @Test func stuffsShortMultilineBodies() {
        var buffer = ByteBuffer()
        buffer.writePOP3Lines(["TOP", ".hidden"])
        #expect(String(buffer: buffer) == "TOP\r\n..hidden\r\n.\r\n")
    }

    @Test func framesLinesOf255Octets() {
        var framer = CommandLineFramer(maximumLineLength: 255)
        var fits = ByteBuffer(string: String(repeating: "a", count: 253) + "\r\n")
        #expect(framer.next(from: &fits) == .line(Array(String(repeating: "a", count: 253).utf8)))
        var long = ByteBuffer(string: String(repeating: "a", count: 254) + "\r\nNOOP\r\n")
        #expect(framer.next(from: &long) == .lineTooLong)
        #expect(framer.next(from: &long) == .line(Array("NOOP".utf8)))
    }
}

@Suite("SASL PLAIN and base64")
struct SASLTests {
    @Test func base64RoundTrips() {
        for text in ["", "a", "ab", "abc", "abcd", "\u{0}alice\u{0}pässword"] {
            #expect(Base64.decode(Array(Base64.encode(Array(text.utf8)).utf8)) == Array(text.utf8))
        }
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=")
    }

    @Test func base64RejectsMalformedInput() {
        for bad in ["a", "abc", "ab=c", "a===", "ab!=", "aGVsbG8=aGVs", "aGVsbG8 "] {
            #expect(Base64.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func parsesPlainCredentials() throws {
        let response = Base64.encode(Array("\u{0}alice@example.org\u{0}secret pw".utf8))
        let credentials = try SASLPlainCredentials.parse(base64: Array(response.utf8)).get()
        #expect(credentials == SASLPlainCredentials(authorizationIdentity: nil, authenticationIdentity: "alice@example.org",
                                                   password: "secret pw"))
    }

    @Test func rejectsMalformedPlain() {
        for raw in ["alice\u{0}pw", "\u{0}\u{0}pw", "\u{0}alice\u{0}", "a\u{0}b\u{0}c\u{0}d"] {
            let response = Array(Base64.encode(Array(raw.utf8)).utf8)
            if case .success = SASLPlainCredentials.parse(base64: response) { Issue.record("accepted \(raw.debugDescription)") }
        }
        #expect(SASLPlainCredentials.parse(base64: Array("!!!!".utf8)) == .failure(.notBase64))
    }
}

@Suite("Multi-line message encoder")
struct MultilineMessageEncoderTests {
    func encode(_ message: String, limit: Int? = nil, splitEvery: Int? = nil) -> String {
        var encoder = MultilineMessageEncoder(bodyLineLimit: limit)
        var output = ByteBuffer()
        let bytes = Array(message.utf8)
        let step = splitEvery ?? max(bytes.count, 1)
        var offset = 0
        while offset < bytes.count {
            if !encoder.encode(ByteBuffer(bytes: bytes[offset..<min(offset + step, bytes.count)]), into: &output) { break }
            offset += step
        }
        encoder.finish(into: &output)
        return String(buffer: output)
    }

    @Test(arguments: [nil, 1, 2, 5])
    func convertsLineEndsAndStuffsDots(step: Int?) {
        #expect(encode("A: b\n\n.x\n..\nend\n", splitEvery: step) == "A: b\r\n\r\n..x\r\n...\r\nend\r\n.\r\n")
    }

    @Test func addsTheMissingFinalLineEnd() {
        #expect(encode("A: b\n\nno newline") == "A: b\r\n\r\nno newline\r\n.\r\n")
    }

    @Test func topZeroSendsHeadersOnly() {
        #expect(encode("A: b\nC: d\n\nline1\nline2\n", limit: 0) == "A: b\r\nC: d\r\n\r\n.\r\n")
    }

    @Test(arguments: [nil, 1, 3])
    func topCountsBodyLines(step: Int?) {
        #expect(encode("A: b\n\n1\n.2\n3\n", limit: 2, splitEvery: step) == "A: b\r\n\r\n1\r\n..2\r\n.\r\n")
    }

    @Test func topBeyondTheBodySendsEverything() {
        #expect(encode("A: b\n\n1\n", limit: 10) == "A: b\r\n\r\n1\r\n.\r\n")
    }
}
