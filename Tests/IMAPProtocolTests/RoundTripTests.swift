import NIOCore
import Testing
@testable import IMAPProtocol

/// parse(encode(command)) == command, through the framer, with both literal styles.
@Suite("IMAP command round trips")
struct RoundTripTests {
    static let commands: [IMAPCommand] = CommandParserFixtureTests.valid.map(\.1) + [
        .login(username: Array("j\u{F6}rg".utf8), password: [0x70, 0x0D, 0x0A, 0x00, 0x22]),
        .select(IMAPMailboxName([0xE2, 0x82, 0xAC]), parameters: [IMAPParameter(name: "X", value: Array("a b".utf8))]),
        .create(IMAPMailboxName("a\"b\\c")),
        .list(IMAPListCommand(reference: IMAPMailboxName("~"), patterns: [Array("% x".utf8)])),
        .search(IMAPSearchCommand(keys: [.not(.not(.or(.all, .and([.seen, .uid(.all)]))))]), uid: true),
        .search(IMAPSearchCommand(keys: [.text(Array("line\r\nbreak".utf8)), .header(field: Array("X-A".utf8), value: [])]), uid: false),
        .id([IMAPIDField(name: [0xC3, 0xA9], value: [0x0A])]),
        .store(.all, IMAPStoreAction(.add, silent: true, flags: [.keyword("$Forwarded"), .extension("Ext")]), uid: true),
        .append(.inbox, [IMAPAppendMessage(flags: [.seen],
                                           internalDate: IMAPDateTime(date: IMAPDate(year: 1996, month: 7, day: 17),
                                                                      hour: 2, minute: 44, second: 25, zoneMinutes: -420),
                                           data: .inline(Array("Subject: x\r\n\r\nbody\r\n".utf8)))]),
        .fetch(IMAPSequenceSet([.init(.last, .number(3))]), [.bodySection(IMAPSection(part: [1, 2, 3], text: .header), partial: IMAPPartial(offset: 4294967295, length: 1), peek: true)], uid: false),
    ]

    @Test(arguments: commands)
    func encodedCommandsParseBack(command: IMAPCommand) throws {
        for style in [IMAPWriter.LiteralStyle.synchronizing, .nonSynchronizing] {
            let tagged = IMAPTaggedCommand(tag: "A001", command: command)
            let wire = IMAPCommandEncoder.encode(tagged, literalStyle: style)
            let parsed = try #require(parseWire(Array(wire.readableBytesView)), "no frame from \(string(wire))")
            #expect(parsed == .success(tagged), "\(string(wire))")
        }
    }

    @Test func chosesThePlainestStringForm() {
        var writer = IMAPWriter()
        writer.writeAString(Array("alice".utf8))
        writer.writeSpace()
        writer.writeAString(Array("two words".utf8))
        writer.writeSpace()
        writer.writeAString([])
        writer.writeSpace()
        writer.writeAString(Array("caf\u{E9}".utf8))
        writer.writeSpace()
        writer.writeNString(nil)
        #expect(string(writer.buffer) == "alice \"two words\" \"\" {5}\r\ncaf\u{E9} NIL")
    }
}

@Suite("IMAP dates")
struct DateTests {
    /// Found by FuzzIMAPCommand: `SINCE 1-Feb-0997` was written back as `1-Feb-997`, which
    /// date-year (4DIGIT) refuses.
    @Test func yearsAlwaysHaveFourDigits() throws {
        #expect(IMAPDate(year: 997, month: 2, day: 1).text == "1-Feb-0997")
        let command = IMAPCommand.search(IMAPSearchCommand(keys: [.since(IMAPDate(year: 997, month: 2, day: 1))]), uid: false)
        let wire = IMAPCommandEncoder.encode(IMAPTaggedCommand(tag: "a", command: command))
        #expect(parseWire(Array(wire.readableBytesView)) == .success(IMAPTaggedCommand(tag: "a", command: command)))
    }
}

@Suite("IMAP string forms")
struct StringFormTests {
    @Test func quotedStringsEscapeQuotesAndBackslashes() {
        for (text, wire) in [("a\"b", "\"a\\\"b\""), ("\\", "\"\\\\\""), ("\"x\\y\"", "\"\\\"x\\\\y\\\"\""),
                             ("plain", "\"plain\""), ("a\nb", "{3}\r\na\nb"), ("\u{0}", "{1}\r\n\u{0}")] {
            var writer = IMAPWriter()
            writer.writeString(Array(text.utf8))
            #expect(string(writer.buffer) == wire)
        }
    }

    @Test func nilAsAMailboxNameIsQuoted() {
        var writer = IMAPWriter()
        writer.writeMailbox(IMAPMailboxName("Nil"))
        #expect(string(writer.buffer) == "\"Nil\"")
    }
}
