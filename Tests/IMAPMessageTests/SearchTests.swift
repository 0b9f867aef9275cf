import Foundation
import IMAPProtocol
import Testing
@testable import IMAPMessage

/// Counts content loads, to check that SEARCH reads a message only when a key needs it.
final class CountingCandidate: SearchCandidate, @unchecked Sendable {
    let sequenceNumber: UInt32
    let metadata: MessageMetadata
    let message: ParsedMessage
    var loads = 0

    init(sequenceNumber: UInt32, metadata: MessageMetadata, message: ParsedMessage) {
        self.sequenceNumber = sequenceNumber
        self.metadata = metadata
        self.message = message
    }

    func content() -> ParsedMessage? {
        loads += 1
        return message
    }
}

@Suite struct SearchTests {
    // 14-Nov-2023 22:13:20 UTC
    static let internalDate = 1_700_000_000
    static let flags: [IMAPFlag] = [.seen, .flagged, .recent, .keyword("$Label1")]

    static func candidate(_ text: String = TrickyMessages.encodedWords, flags: [IMAPFlag] = flags,
                          sequence: UInt32 = 3, uid: UInt32 = 30) -> CountingCandidate {
        let message = parse(text)
        return CountingCandidate(sequenceNumber: sequence, metadata: MessageMetadata(
            uid: uid, flags: flags, internalDate: internalDate, size: message.bytes.count), message: message)
    }

    static func matches(_ keys: [IMAPSearchKey], _ candidate: CountingCandidate = candidate()) -> Bool {
        (try? SearchMatcher(IMAPSearchCommand(keys: keys)))!.matches(candidate, largestSequence: 5, largestUID: 50)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    static let date = IMAPDate(year: 2023, month: 11, day: 14)

    @Test(arguments: [
        (IMAPSearchKey.all, true), (.seen, true), (.unseen, false), (.flagged, true), (.unflagged, false),
        (.answered, false), (.unanswered, true), (.deleted, false), (.undeleted, true), (.draft, false), (.undraft, true),
        (.recent, true), (.new, false), (.old, false), (.keyword("$label1"), true), (.keyword("$Other"), false),
        (.unkeyword("$Label1"), false), (.unkeyword("x"), true),
        (.on(date), true), (.before(date), false), (.since(date), true),
        (.before(IMAPDate(year: 2023, month: 11, day: 15)), true), (.since(IMAPDate(year: 2023, month: 11, day: 15)), false),
        (.sentOn(IMAPDate(year: 2023, month: 1, day: 2)), true), (.sentBefore(IMAPDate(year: 2023, month: 1, day: 2)), false),
        (.sentSince(IMAPDate(year: 2023, month: 1, day: 2)), true), (.sentBefore(IMAPDate(year: 2023, month: 1, day: 3)), true),
        (.larger(10), true), (.larger(100_000), false), (.smaller(100_000), true), (.smaller(10), false),
        (.uid(IMAPSequenceSet([.init(.number(30))])), true), (.uid(IMAPSequenceSet([.init(.number(31), .last)])), false),
        (.uid(IMAPSequenceSet([.init(.last, .number(20))])), true),
        (.sequenceSet(IMAPSequenceSet([.init(.number(3))])), true), (.sequenceSet(IMAPSequenceSet([.init(.last)])), false),
        (.not(.seen), false), (.or(.deleted, .flagged), true), (.or(.deleted, .draft), false),
        (.and([.seen, .flagged]), true), (.and([.seen, .draft]), false),
        (.from(bytes("andré")), true), (.from(bytes("ANDRÉ PIRARD")), true), (.from(bytes("pirard@vm1")), true),
        (.to(bytes("日本語")), true), (.to(bytes("english")), false),
        (.subject(bytes("日本語")), true), (.subject(bytes("€URO")), true), (.subject(bytes("and €uro")), true),
        (.cc(bytes("a")), false), (.bcc(bytes("")), false),
        (.header(field: bytes("content-transfer-encoding"), value: bytes("8BIT")), true),
        (.header(field: bytes("Content-Type"), value: bytes("")), true), (.header(field: bytes("X-None"), value: bytes("")), false),
        (.body(bytes("grüße")), true), (.body(bytes("GRÜSSE")), false), (.body(bytes("köln, strasse")), true),
        (.body(bytes("subject")), false), (.text(bytes("subject: ")), true), (.text(bytes("köln")), true), (.text(bytes("zzz")), false),
    ])
    func key(_ key: IMAPSearchKey, _ expected: Bool) {
        #expect(Self.matches([key]) == expected)
    }

    @Test func newAndOld() {
        let fresh = Self.candidate(flags: [.recent])
        #expect(Self.matches([.new], fresh))
        #expect(!Self.matches([.old], fresh))
        let old = Self.candidate(flags: [])
        #expect(Self.matches([.old], old))
        #expect(!Self.matches([.new], old))
    }

    @Test func contentIsLoadedOnlyWhenNeededAndOnce() throws {
        let flagsOnly = try SearchMatcher(IMAPSearchCommand(keys: [.seen, .not(.deleted), .or(.uid(.all), .larger(1))]))
        #expect(!flagsOnly.needsContent)
        let candidate = Self.candidate()
        #expect(flagsOnly.matches(candidate, largestSequence: 5, largestUID: 50))
        #expect(candidate.loads == 0)
        let content = try SearchMatcher(IMAPSearchCommand(keys: [.subject(Self.bytes("x")), .not(.body(Self.bytes("köln"))), .from(Self.bytes("a"))]))
        #expect(content.needsContent)
        _ = content.matches(candidate, largestSequence: 5, largestUID: 50)
        #expect(candidate.loads == 1)
        #expect(try SearchMatcher(IMAPSearchCommand(keys: [.or(.seen, .sentOn(Self.date))])).needsContent)
    }

    @Test func charsets() throws {
        for charset in [nil, "UTF-8", "us-ascii", "utf-8"] {
            #expect(throws: Never.self) { try SearchMatcher(IMAPSearchCommand(charset: charset, keys: [.all])) }
        }
        #expect(throws: SearchMatcher.Failure.badCharset) { try SearchMatcher(IMAPSearchCommand(charset: "ISO-8859-1", keys: [.all])) }
    }

    @Test func goneMessageMatchesNoContentKey() throws {
        struct Gone: SearchCandidate {
            var sequenceNumber: UInt32 = 1
            var metadata = MessageMetadata(uid: 1, flags: [], internalDate: 0, size: 0)
            func content() -> ParsedMessage? { nil }
        }
        #expect(!(try SearchMatcher(IMAPSearchCommand(keys: [.body([0x61])]))).matches(Gone(), largestSequence: 1, largestUID: 1))
        #expect(try SearchMatcher(IMAPSearchCommand(keys: [.not(.body([0x61]))])).matches(Gone(), largestSequence: 1, largestUID: 1))
    }

    @Test(arguments: [
        ("iso-8859-1", [0x63, 0x61, 0x66, 0xE9] as [UInt8], "café"),
        ("ISO-8859-15", [0xA4, 0x31], "€1"),
        ("windows-1252", [0x80, 0x93, 0x41, 0x94], "€“A”"),
        ("Shift_JIS", [0x93, 0xFA, 0x96, 0x7B], "日本"),
        ("euc-jp", [0xC6, 0xFC, 0xCB, 0xDC, 0x41], "日本A"),
        ("iso-2022-jp", [0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C, 0x1B, 0x28, 0x42], "日本"),
        ("utf-8", Array("日本".utf8), "日本"),
        ("x-unknown", [0x41, 0xFF], "A\u{FFFD}"),
    ])
    func charsetDecoding(_ charset: String, _ bytes: [UInt8], _ expected: String) {
        #expect(String(decoding: TextDecoding.utf8(bytes, charset: Array(charset.utf8)), as: UTF8.self) == expected)
    }

    @Test(arguments: [
        ("=?UTF-8?B?5pel5pys?= =?UTF-8?Q?_x?=", "日本 x"),
        ("a =?iso-8859-1?q?caf=E9?= b", "a café b"),
        ("=?utf-8?x?bad?= =?utf-8?q?unterminated", "=?utf-8?x?bad?= =?utf-8?q?unterminated"),
        ("=?utf-8*en?q?lang?=", "lang"),
    ])
    func encodedWords(_ value: String, _ expected: String) {
        #expect(String(decoding: TextDecoding.decodeHeaderValue(Array(value.utf8)), as: UTF8.self) == expected)
    }

    @Test func transferEncodings() {
        #expect(TextDecoding.quotedPrintable(Array("a=3Db=\r\nc=\nd =XY".utf8), underscoreIsSpace: false) == Array("a=bcd =XY".utf8))
        #expect(TextDecoding.base64(Array("aGVs\r\nbG8=".utf8)) == Array("hello".utf8))
    }

    /// SEARCH BODY over many messages: the work per message is linear (the project's target is
    /// Dovecot's ~3 s for 100,000; a tenth of that in a debug build here).
    @Test func bodySearchSpeed() throws {
        let body = String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n", count: 40)
        let text = "From: a@b\nSubject: s\nContent-Type: text/plain; charset=utf-8\n\n\(body)"
        let bytes = MessageLines.crlf(Array(text.utf8))
        let matcher = try SearchMatcher(IMAPSearchCommand(keys: [.body(Self.bytes("needle"))]))
        struct Lazy: SearchCandidate {
            var sequenceNumber: UInt32
            var metadata: MessageMetadata
            let bytes: [UInt8]
            func content() -> ParsedMessage? { ParsedMessage(crlf: bytes) }
        }
        let clock = ContinuousClock()
        var hits = 0
        let elapsed = clock.measure {
            for number in 1...10_000 {
                let candidate = Lazy(sequenceNumber: UInt32(number), metadata: MessageMetadata(uid: UInt32(number), flags: [], internalDate: 0, size: bytes.count), bytes: bytes)
                if matcher.matches(candidate, largestSequence: 10_000, largestUID: 10_000) { hits += 1 }
            }
        }
        #expect(hits == 0)
        print("SEARCH BODY over 10,000 messages of \(bytes.count) octets: \(elapsed)")
        #expect(elapsed < .seconds(60))
    }
}
