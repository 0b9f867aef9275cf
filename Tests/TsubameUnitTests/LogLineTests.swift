import Testing
@testable import TsubameServer

@Suite("Log lines: logfmt that client bytes cannot forge")
struct LogLineTests {
    static func value(_ bytes: [UInt8]) -> String {
        var line: [UInt8] = []
        LogLine.appendValue(bytes, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    static func message(_ text: String) -> String {
        var line: [UInt8] = []
        LogLine.appendMessage(text.utf8, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    static let values: [(input: [UInt8], written: String)] = [
        (Array("alice@example.org".utf8), "alice@example.org"),
        (Array("<a@b.example>,<c@d.example>".utf8), "<a@b.example>,<c@d.example>"),
        (Array("[127.0.0.1]".utf8), "[127.0.0.1]"),
        (Array("[IPv6:::1]".utf8), "[IPv6:::1]"),
        ([], #""""#),
        (Array("250 2.0.0 Ok: queued".utf8), #""250 2.0.0 Ok: queued""#),
        (Array("a=b".utf8), #""a=b""#),
        (Array(#"a" user=admin"#.utf8), #""a\" user=admin""#),
        (Array(#"back\slash"#.utf8), #""back\\slash""#),
        (Array("tab\there".utf8), #""tab\x09here""#),
        (Array("two\r\nlines".utf8), #""two\x0D\x0Alines""#),
        (Array("\u{1B}[2J".utf8), #""\x1B[2J""#),
        ([0x00, 0x7F], #""\x00\x7F""#),
        (Array("next\u{85}line".utf8), #""next\xC2\x85line""#),
        (Array("\u{9B}2J".utf8), #""\xC2\x9B2J""#),
        (Array("a\u{2028}b\u{2029}".utf8), #""a\xE2\x80\xA8b\xE2\x80\xA9""#),
        (Array("evil\u{202E}txt".utf8), #""evil\xE2\x80\xAEtxt""#),
        (Array("Grüße 燕".utf8), "\"Grüße 燕\""),
        ([0x61, 0xFF, 0x62], #""a\xFFb""#),
        ([0x61, 0xC3], #""a\xC3""#),
        ([0xC0, 0xAF], #""\xC0\xAF""#),
        ([0xED, 0xA0, 0x80], #""\xED\xA0\x80""#),
        (Array("semi;colon".utf8), #""semi;colon""#),
    ]

    @Test(arguments: values)
    func valuesAreQuotedAndEscapedWhenNotPlain(input: [UInt8], written: String) {
        #expect(Self.value(input) == written)
    }

    @Test func theMessageCanNeitherOpenAFieldNorAQuote() {
        #expect(Self.message("accepted") == "accepted")
        #expect(Self.message("listening smtp [::1]:25") == "listening smtp [::1]:25")
        #expect(Self.message("a=b") == #"a\x3Db"#)
        #expect(Self.message(#"say "hi""#) == #"say \x22hi\x22"#)
        #expect(Self.message(#"c:\dir"#) == #"c:\\dir"#)
        #expect(Self.message("one\ntwo\u{1B}") == #"one\x0Atwo\x1B"#)
    }

    @Test func keysAndLabelsKeepOnlyNameCharacters() {
        let line = LogLine(timestamp: "T", level: "info", label: "smtp server", message: "m",
                           fields: [("user", "a"), ("a b=c\"", "x"), ("", "y")])
        #expect(String(decoding: line.bytes, as: UTF8.self) == "T info smtp_server: m user=a a_b_c_=x _=y\n")
    }

    @Test func aForgedFieldStaysInsideItsValue() {
        let forged = "a\" user=admin result=ok\u{1B}[2J\nT info pop3: login user=admin"
        let line = LogLine(timestamp: "2026-11-29T19:30:00Z", level: "notice", label: "pop3",
                           message: "authentication failed", fields: [("client", "[127.0.0.1]"), ("user", forged)])
        let written = line.bytes
        #expect(String(decoding: written, as: UTF8.self) == #"2026-11-29T19:30:00Z notice pop3: authentication failed "#
            + #"client=[127.0.0.1] user="a\" user=admin result=ok\x1B[2J\x0AT info pop3: login user=admin""# + "\n")
        let parsed = ParsedLogLine(written)
        #expect(parsed?.keys == ["client", "user"])
        #expect(parsed?.value("user") == Array(forged.utf8))
        #expect(parsed?.message == Array("authentication failed".utf8))
    }

    // MARK: Round trips

    /// Pieces a hostile client would combine, and ordinary text.
    static let pieces = ["a", "Z", "0", "-", ".", "@", "<", ">", "[", "]", ":", " ", "  ", "\"", "\\", "=", "\\\"",
                         "\n", "\r", "\t", "\0", "\u{1B}", "\u{7F}", "\u{85}", "\u{9B}", "\u{A0}", "\u{2028}",
                         "\u{2029}", "\u{202E}", "\u{2066}", "é", "燕", "😀", "\u{FFFD}", " user=admin", "result=ok",
                         "x=\"y\"", "\\x41", "key=", "=\"", "\" k=v \""]

    @Test func everyLineParsesBackToExactlyTheFieldsLogged() {
        var random = SplitMix64(seed: 0x7575_6261_6D65)
        for _ in 0..<3000 {
            func text() -> String {
                (0..<random.next(below: 8)).map { _ in Self.pieces[random.next(below: Self.pieces.count)] }.joined()
            }
            let keys = ["client", "user", "from", "to", "helo", "result", "id"].shuffled(using: &random)
            let fields: [(key: String, value: String)] = keys.prefix(random.next(below: 5)).map { ($0, text()) }
            let message = random.next(below: 4) == 0 ? "" : text()
            let line = LogLine(timestamp: "2026-11-29T19:30:00Z", level: "info", label: "smtp", message: message,
                               fields: fields)
            let parsed = ParsedLogLine(line.bytes)
            #expect(parsed != nil, "unparsable: \(String(decoding: line.bytes, as: UTF8.self))")
            #expect(parsed?.message == Array(message.utf8))
            #expect(parsed?.fields == fields.map { ParsedLogLine.Field(key: $0.0, value: Array($0.1.utf8)) })
        }
    }

    @Test func anyBytesIncludingMalformedUTF8RoundTrip() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<3000 {
            let bytes = (0..<random.next(below: 12)).map { _ in UInt8(random.next(below: 256)) }
            var line = Array("T info smtp: m k=".utf8)
            LogLine.appendValue(bytes, to: &line)
            line.append(contentsOf: " next=1\n".utf8)
            let parsed = ParsedLogLine(line)
            #expect(parsed?.keys == ["k", "next"], "\(bytes)")
            #expect(parsed?.value("k") == bytes)
            // What reaches the log is valid UTF-8 whatever came in.
            #expect(String(validating: line, as: UTF8.self) != nil)
        }
    }
}

/// A small seeded generator, so a failing round trip can be repeated.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
