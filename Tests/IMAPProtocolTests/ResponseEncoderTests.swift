import NIOCore
import Testing
@testable import IMAPProtocol

@Suite("IMAP response encoder")
struct ResponseEncoderTests {
    static let envelope = IMAPEnvelope(
        date: Array("Wed, 17 Jul 1996 02:23:25 -0700".utf8), subject: Array("IMAP4rev1 WG mtg summary".utf8),
        from: [IMAPAddress(name: Array("Terry Gray".utf8), mailbox: Array("gray".utf8), host: Array("cac.washington.edu".utf8))],
        to: [IMAPAddress(mailbox: Array("imap".utf8), host: Array("cac.washington.edu".utf8))],
        messageID: Array("<B27397-0100000@cac.washington.edu>".utf8))

    static let fixtures: [(IMAPResponse, String)] = [
        (.tagged("a1", IMAPStatus(.ok, code: .readWrite, "SELECT completed")), "a1 OK [READ-WRITE] SELECT completed\r\n"),
        (.tagged("a2", IMAPStatus(.no, code: .tryCreate, "No such mailbox")), "a2 NO [TRYCREATE] No such mailbox\r\n"),
        (.tagged("a3", IMAPStatus(.bad, "Bad\r\n* OK injected")), "a3 BAD Bad  * OK injected\r\n"),
        (.tagged("a4", IMAPStatus(.ok, code: .appendUID(uidValidity: 38505, uids: IMAPSequenceSet([.init(.number(3955))])), "APPEND completed")),
         "a4 OK [APPENDUID 38505 3955] APPEND completed\r\n"),
        (.tagged("a5", IMAPStatus(.ok, code: .copyUID(uidValidity: 38505, source: IMAPSequenceSet([.init(.number(304)), .init(.number(319), .number(320))]),
                                                      destination: IMAPSequenceSet([.init(.number(3956), .number(3958))])), "Done")),
         "a5 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n"),
        (.tagged("a6", IMAPStatus(.no, code: .tooBig, "Message too large")), "a6 NO [TOOBIG] Message too large\r\n"),
        (.untagged(.status(IMAPStatus(.ok, code: .permanentFlags([.deleted, .seen], canCreateKeywords: true), "Limited"))),
         "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"),
        (.untagged(.status(IMAPStatus(.ok, code: .uidValidity(3857529045), "UIDs valid"))), "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"),
        (.untagged(.status(IMAPStatus(.ok, code: .capability(["IMAP4rev1", "LITERAL+"]), "Ready"))), "* OK [CAPABILITY IMAP4rev1 LITERAL+] Ready\r\n"),
        (.untagged(.status(IMAPStatus(.ok, code: .other("X-THING", "a]b"), "x"))), "* OK [X-THING a b] x\r\n"),
        (.untagged(.bye(nil, "Logging out")), "* BYE Logging out\r\n"),
        (.untagged(.capability(["IMAP4rev1", "IDLE", "AUTH=PLAIN"])), "* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN\r\n"),
        (.untagged(.list(IMAPListItem(attributes: ["\\HasNoChildren", "\\Sent"], delimiter: UInt8(ascii: "."), name: IMAPMailboxName("Sent")))),
         "* LIST (\\HasNoChildren \\Sent) \".\" Sent\r\n"),
        (.untagged(.list(IMAPListItem(attributes: [], delimiter: nil, name: IMAPMailboxName("two words"), childInfoSubscribed: true))),
         "* LIST () NIL \"two words\" (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"),
        (.untagged(.lsub(IMAPListItem(attributes: ["\\Noselect"], delimiter: UInt8(ascii: "\\"), name: IMAPMailboxName([0xC3, 0xA9])))),
         "* LSUB (\\Noselect) \"\\\\\" {2}\r\n\u{E9}\r\n"),
        (.untagged(.mailboxStatus(.inbox, [IMAPStatusValue(.messages, 231), IMAPStatusValue(.uidNext, 44292)])),
         "* STATUS INBOX (MESSAGES 231 UIDNEXT 44292)\r\n"),
        (.untagged(.search([2, 84, 882])), "* SEARCH 2 84 882\r\n"),
        (.untagged(.search([])), "* SEARCH\r\n"),
        (.untagged(.flags([.answered, .flagged, .deleted, .seen, .draft, .keyword("$Junk")])),
         "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n"),
        (.untagged(.exists(23)), "* 23 EXISTS\r\n"),
        (.untagged(.recent(5)), "* 5 RECENT\r\n"),
        (.untagged(.expunge(3)), "* 3 EXPUNGE\r\n"),
        (.untagged(.enabled(["CONDSTORE"])), "* ENABLED CONDSTORE\r\n"),
        (.untagged(.id(nil)), "* ID NIL\r\n"),
        (.untagged(.id([IMAPIDField(name: "name", value: "Tsubame")])), "* ID (\"name\" \"Tsubame\")\r\n"),
        (.untagged(.namespace(personal: [IMAPNamespace(prefix: "", delimiter: UInt8(ascii: "."))], otherUsers: nil, shared: nil)),
         "* NAMESPACE ((\"\" \".\")) NIL NIL\r\n"),
        (.untagged(.fetch(12, [.flags([.seen, .recent]), .uid(4827313), .rfc822Size(44827),
                               .internalDate(IMAPDateTime(date: IMAPDate(year: 1996, month: 7, day: 7), hour: 2, minute: 44, second: 25, zoneMinutes: -420))])),
         "* 12 FETCH (FLAGS (\\Seen \\Recent) UID 4827313 RFC822.SIZE 44827 INTERNALDATE \"07-Jul-1996 02:44:25 -0700\")\r\n"),
        (.untagged(.fetch(12, [.envelope(ResponseEncoderTests.envelope)])),
         "* 12 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700\" \"IMAP4rev1 WG mtg summary\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) NIL NIL ((NIL NIL \"imap\" \"cac.washington.edu\")) NIL NIL NIL \"<B27397-0100000@cac.washington.edu>\"))\r\n"),
        (.untagged(.fetch(1, [.bodySection(IMAPSection(part: [1], text: .mime), origin: nil, data: Array("a\r\n".utf8)),
                              .bodySection(.whole, origin: 0, data: nil), .rfc822Header(Array("x".utf8))])),
         "* 1 FETCH (BODY[1.MIME] {3}\r\na\r\n BODY[]<0> NIL RFC822.HEADER {1}\r\nx)\r\n"),
        (.continuation("Ready for literal"), "+ Ready for literal\r\n"),
        (.continuation(""), "+ \r\n"),
    ]

    @Test(arguments: fixtures)
    func encodes(response: IMAPResponse, expected: String) {
        #expect(string(IMAPResponseEncoder.encode(response)) == expected)
    }

    static let text = IMAPSinglePart(type: "TEXT", subtype: "PLAIN", fields: IMAPBodyFields(parameters: [IMAPBodyParameter("CHARSET", "US-ASCII")], octets: 3028),
                                     kind: .text(lines: 92))

    @Test func encodesBodyAndBodyStructure() {
        let attachment = IMAPSinglePart(type: "APPLICATION", subtype: "PDF",
                                        fields: IMAPBodyFields(parameters: [IMAPBodyParameter("NAME", "a.pdf")], encoding: "BASE64", octets: 100),
                                        kind: .basic,
                                        extensionData: IMAPBodyExtension(dispositionKind: Array("attachment".utf8),
                                                                         dispositionParameters: [IMAPBodyParameter("FILENAME", "a.pdf")]))
        let inner = IMAPBodyStructure.singlePart(ResponseEncoderTests.text)
        let message = IMAPSinglePart(type: "MESSAGE", subtype: "RFC822", fields: IMAPBodyFields(octets: 500),
                                     kind: .message(IMAPEnvelope(), inner, lines: 10))
        let body = IMAPBodyStructure.multipart(IMAPMultipart(parts: [.singlePart(ResponseEncoderTests.text), .singlePart(attachment), .singlePart(message)],
                                                             subtype: "MIXED", parameters: [IMAPBodyParameter("BOUNDARY", "xyz")]))
        let plain = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)"
        let pdf = "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL \"BASE64\" 100)"
        let envelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"
        #expect(string(IMAPResponseEncoder.encode(.untagged(.fetch(1, [.body(body)]))))
            == "* 1 FETCH (BODY (\(plain)\(pdf)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 500 \(envelope) \(plain) 10) \"MIXED\"))\r\n")
        let plainExt = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92 NIL NIL NIL NIL)"
        let pdfExt = "(\"APPLICATION\" \"PDF\" (\"NAME\" \"a.pdf\") NIL NIL \"BASE64\" 100 NIL (\"attachment\" (\"FILENAME\" \"a.pdf\")) NIL NIL)"
        #expect(string(IMAPResponseEncoder.encode(.untagged(.fetch(1, [.bodyStructure(body)]))))
            == "* 1 FETCH (BODYSTRUCTURE (\(plainExt)\(pdfExt)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 500 \(envelope) \(plainExt) 10 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"xyz\") NIL NIL NIL))\r\n")
    }

    @Test func streamsALargeBodyBetweenAPrefixAndASuffix() {
        let start = IMAPResponseEncoder.encodeStreamingFetchStart(sequenceNumber: 7, itemsBefore: [.uid(99)],
                                                                  streamed: .bodySection(IMAPSection(part: [2]), origin: 100), size: 5)
        let end = IMAPResponseEncoder.encodeStreamingFetchEnd(itemsAfter: [.flags([.seen])])
        #expect(string(start) + "hello" + string(end) == "* 7 FETCH (UID 99 BODY[2]<100> {5}\r\nhello FLAGS (\\Seen))\r\n")
        // The same bytes as the whole response encoded at once.
        let whole = IMAPResponseEncoder.encode(.untagged(.fetch(7, [.uid(99), .bodySection(IMAPSection(part: [2]), origin: 100, data: Array("hello".utf8)), .flags([.seen])])))
        #expect(string(start) + "hello" + string(end) == string(whole))
    }

    @Test func theTextOfAFramingErrorNamesTheProblem() {
        #expect(IMAPFramingError.literalTooLarge(10).text == "Literal of 10 octets is larger than the limit")
        #expect(IMAPFramingError.literalTooLarge(10).responseCode == .tooBig)
    }
}

@Suite("IMAP error replies")
struct ErrorResponseTests {
    @Test func aParseErrorIsBADToItsTagOrUntagged() {
        #expect(string(IMAPResponseEncoder.encode(IMAPCommandError(tag: "a1", text: "Unknown command X").response))
            == "a1 BAD Unknown command X\r\n")
        #expect(string(IMAPResponseEncoder.encode(IMAPCommandError(tag: nil, text: "Invalid tag").response))
            == "* BAD Invalid tag\r\n")
    }

    @Test func anOversizeLiteralIsNOTooBig() {
        #expect(string(IMAPResponseEncoder.encode(IMAPFramingError.literalTooLarge(9).refusal(tag: "a")))
            == "a NO [TOOBIG] Literal of 9 octets is larger than the limit\r\n")
        #expect(string(IMAPResponseEncoder.encode(IMAPFramingError.commandTooLarge.refusal(tag: nil)))
            == "* BAD [LIMIT] Command too large\r\n")
    }

    @Test func aFatalErrorIsBADThenBYE() {
        let wire = IMAPFramingError.lineTooLong.fatalResponses(tag: "a").map { string(IMAPResponseEncoder.encode($0)) }
        #expect(wire == ["a BAD [LIMIT] Command line too long\r\n",
                         "* BYE Closing: the rest of the stream cannot be read as commands\r\n"])
    }
}
