import Testing
@testable import IMAPProtocol

/// Table-driven fixtures (as swift-nio-imap's ParseFixture): each wire command and what it
/// parses to, or the BAD text it gets.
@Suite("IMAP command parser fixtures")
struct CommandParserFixtureTests {
    static let inbox = IMAPMailboxName.inbox
    static let one = IMAPSequenceSet([.init(.number(1))])

    static let valid: [(String, IMAPCommand)] = [
        ("a CAPABILITY", .capability), ("a noop", .noop), ("a LOGOUT", .logout), ("a StartTLS", .starttls),
        ("a CHECK", .check), ("a CLOSE", .close), ("a EXPUNGE", .expunge), ("a UNSELECT", .unselect),
        ("a NAMESPACE", .namespace), ("a IDLE", .idle),
        ("a AUTHENTICATE PLAIN", .authenticate(mechanism: "PLAIN", initialResponse: nil)),
        ("a AUTHENTICATE plain AGFsaWNlAHB3", .authenticate(mechanism: "PLAIN", initialResponse: Array("AGFsaWNlAHB3".utf8))),
        ("a AUTHENTICATE PLAIN =", .authenticate(mechanism: "PLAIN", initialResponse: [])),
        ("a LOGIN alice \"pass word\"", .login(username: Array("alice".utf8), password: Array("pass word".utf8))),
        ("a LOGIN {5+}\r\nalice {3+}\r\na\"b", .login(username: Array("alice".utf8), password: Array("a\"b".utf8))),
        ("a LOGIN \"a\\\\b\" \"q\\\"\"", .login(username: Array("a\\b".utf8), password: Array("q\"".utf8))),
        ("a SELECT INBOX", .select(inbox, parameters: [])),
        ("a SELECT inbox (CONDSTORE)", .select(IMAPMailboxName("inbox"), parameters: [IMAPParameter(name: "CONDSTORE")])),
        ("a EXAMINE \"Sent Items\"", .examine(IMAPMailboxName("Sent Items"), parameters: [])),
        ("a CREATE Archive.2024", .create(IMAPMailboxName("Archive.2024"))),
        ("a DELETE Trash", .delete(IMAPMailboxName("Trash"))),
        ("a RENAME Old New", .rename(from: IMAPMailboxName("Old"), to: IMAPMailboxName("New"))),
        ("a SUBSCRIBE Entw&APw-rfe", .subscribe(IMAPMailboxName("Entw&APw-rfe"))),
        ("a UNSUBSCRIBE \"\"", .unsubscribe(IMAPMailboxName(""))),
        ("a LIST \"\" *", .list(IMAPListCommand(reference: IMAPMailboxName(""), patterns: [Array("*".utf8)]))),
        ("a LIST \"\" %/x]", .list(IMAPListCommand(reference: IMAPMailboxName(""), patterns: [Array("%/x]".utf8)]))),
        ("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX Sent*) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))",
         .list(IMAPListCommand(selectionOptions: [.subscribed, .recursiveMatch], reference: IMAPMailboxName(""),
                               patterns: [Array("INBOX".utf8), Array("Sent*".utf8)], parenthesizedPatterns: true,
                               returnOptions: [.children, .specialUse, .status([.messages, .unseen])]))),
        ("a LIST (SPECIAL-USE) \"\" * RETURN ()",
         .list(IMAPListCommand(selectionOptions: [.specialUse], reference: IMAPMailboxName(""), patterns: [Array("*".utf8)],
                               returnOptions: []))),
        ("a LSUB \"\" *", .lsub(reference: IMAPMailboxName(""), pattern: Array("*".utf8))),
        ("a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)",
         .status(inbox, [.messages, .recent, .uidNext, .uidValidity, .unseen])),
        ("a APPEND INBOX {3+}\r\nabc", .append(inbox, [IMAPAppendMessage(data: .inline(Array("abc".utf8)))])),
        ("a APPEND INBOX (\\Seen $Label1) \" 5-Mar-2024 09:07:01 +0130\" {2+}\r\nhi",
         .append(inbox, [IMAPAppendMessage(flags: [.seen, .keyword("$Label1")],
                                           internalDate: IMAPDateTime(date: IMAPDate(year: 2024, month: 3, day: 5),
                                                                      hour: 9, minute: 7, second: 1, zoneMinutes: 90),
                                           data: .inline(Array("hi".utf8)))])),
        ("a APPEND Drafts {1+}\r\nx (\\Draft) {1+}\r\ny",
         .append(IMAPMailboxName("Drafts"), [IMAPAppendMessage(data: .inline([0x78])),
                                             IMAPAppendMessage(flags: [.draft], data: .inline([0x79]))])),
        ("a ENABLE CONDSTORE UTF8=ACCEPT", .enable(["CONDSTORE", "UTF8=ACCEPT"])),
        ("a ID NIL", .id(nil)),
        ("a ID (\"name\" \"iPhone Mail\" \"version\" NIL)",
         .id([IMAPIDField(name: "name", value: "iPhone Mail"), IMAPIDField(name: "version", value: nil)])),
        ("a ID ()", .id([])),
        ("a UID EXPUNGE 3:5,9", .uidExpunge(IMAPSequenceSet([.init(.number(3), .number(5)), .init(.number(9))]))),
        ("a SEARCH ALL", .search(IMAPSearchCommand(keys: [.all]), uid: false)),
        ("a UID SEARCH CHARSET UTF-8 SUBJECT \"caf\u{E9}\" NOT SEEN",
         .search(IMAPSearchCommand(charset: "UTF-8", keys: [.subject(Array("caf\u{E9}".utf8)), .not(.seen)]), uid: true)),
        ("a SEARCH OR (FROM bob SINCE 1-Feb-1994) BEFORE \"10-jan-2020\" 1:*,4 UID 2:*",
         .search(IMAPSearchCommand(keys: [.or(.and([.from(Array("bob".utf8)), .since(IMAPDate(year: 1994, month: 2, day: 1))]),
                                              .before(IMAPDate(year: 2020, month: 1, day: 10))),
                                          .sequenceSet(IMAPSequenceSet([.init(.number(1), .last), .init(.number(4))])),
                                          .uid(IMAPSequenceSet([.init(.number(2), .last)]))]), uid: false)),
        ("a SEARCH HEADER Message-ID <x@y> LARGER 10 SMALLER 20 KEYWORD $Junk UNKEYWORD foo",
         .search(IMAPSearchCommand(keys: [.header(field: Array("Message-ID".utf8), value: Array("<x@y>".utf8)),
                                          .larger(10), .smaller(20), .keyword("$Junk"), .unkeyword("foo")]), uid: false)),
        ("a SEARCH ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN",
         .search(IMAPSearchCommand(keys: [.answered, .deleted, .draft, .flagged, .new, .old, .recent, .seen,
                                          .unanswered, .undeleted, .undraft, .unflagged, .unseen]), uid: false)),
        ("a SEARCH BCC a BODY b CC c TEXT {1+}\r\nd TO e SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 3-Jan-2000 ON 4-Jan-2000",
         .search(IMAPSearchCommand(keys: [.bcc([0x61]), .body([0x62]), .cc([0x63]), .text([0x64]), .to([0x65]),
                                          .sentBefore(IMAPDate(year: 2000, month: 1, day: 1)),
                                          .sentOn(IMAPDate(year: 2000, month: 1, day: 2)),
                                          .sentSince(IMAPDate(year: 2000, month: 1, day: 3)),
                                          .on(IMAPDate(year: 2000, month: 1, day: 4))]), uid: false)),
        ("a FETCH 1 ALL", .fetch(one, IMAPFetchAttribute.all, uid: false)),
        ("a FETCH 1 fast", .fetch(one, IMAPFetchAttribute.fast, uid: false)),
        ("a FETCH 1 FULL", .fetch(one, IMAPFetchAttribute.full, uid: false)),
        ("a FETCH * UID", .fetch(IMAPSequenceSet([.init(.last)]), [.uid], uid: false)),
        ("a UID FETCH 1:* (FLAGS INTERNALDATE RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT ENVELOPE BODY BODYSTRUCTURE UID)",
         .fetch(.all, [.flags, .internalDate, .rfc822, .rfc822Header, .rfc822Size, .rfc822Text, .envelope, .body,
                       .bodyStructure, .uid], uid: true)),
        ("a FETCH 1 (BODY[] BODY.PEEK[HEADER] BODY[TEXT]<0.1024> BODY[1.2.MIME] BODY[2] BODY[3.HEADER.FIELDS (From \"To\")] BODY.PEEK[HEADER.FIELDS.NOT (Received)])",
         .fetch(one, [.bodySection(.whole, partial: nil, peek: false),
                      .bodySection(IMAPSection(text: .header), partial: nil, peek: true),
                      .bodySection(IMAPSection(text: .text), partial: IMAPPartial(offset: 0, length: 1024), peek: false),
                      .bodySection(IMAPSection(part: [1, 2], text: .mime), partial: nil, peek: false),
                      .bodySection(IMAPSection(part: [2]), partial: nil, peek: false),
                      .bodySection(IMAPSection(part: [3], text: .headerFields([Array("From".utf8), Array("To".utf8)])),
                                   partial: nil, peek: false),
                      .bodySection(IMAPSection(text: .headerFieldsNot([Array("Received".utf8)])), partial: nil, peek: true)],
                uid: false)),
        ("a STORE 1 +FLAGS (\\Deleted)", .store(one, IMAPStoreAction(.add, flags: [.deleted]), uid: false)),
        ("a STORE 1 -FLAGS.SILENT \\Seen $Junk", .store(one, IMAPStoreAction(.remove, silent: true, flags: [.seen, .keyword("$Junk")]), uid: false)),
        ("a UID STORE 1 FLAGS ()", .store(one, IMAPStoreAction(.replace, flags: []), uid: true)),
        ("a STORE 1 FLAGS (\\answered \\FLAGGED \\X-Custom)", .store(one, IMAPStoreAction(.replace, flags: [.answered, .flagged, .extension("X-Custom")]), uid: false)),
        ("a COPY 2:4 Trash", .copy(IMAPSequenceSet([.init(.number(2), .number(4))]), IMAPMailboxName("Trash"), uid: false)),
        ("a UID COPY 1 Trash", .copy(one, IMAPMailboxName("Trash"), uid: true)),
        ("a MOVE 1 Archive", .move(one, IMAPMailboxName("Archive"), uid: false)),
        ("a UID MOVE 4:2 Junk", .move(IMAPSequenceSet([.init(.number(4), .number(2))]), IMAPMailboxName("Junk"), uid: true)),
    ]

    @Test(arguments: valid)
    func parses(wire: String, expected: IMAPCommand) throws {
        let parsed = try IMAPCommandParser.parse(wire).get()
        #expect(parsed == IMAPTaggedCommand(tag: "a", command: expected))
    }

    /// Wire command, the tag the BAD goes to, and its text.
    static let invalid: [(String, String?, String)] = [
        ("", nil, "Empty command"),
        ("+a NOOP", nil, "Invalid tag"),
        ("a", "a", "Missing arguments after the tag"),
        ("a XYZZY", "a", "Unknown command XYZZY"),
        ("a NOOP extra", "a", "Unexpected text after the command"),
        ("a NOOP ", "a", "Unexpected text after the command"),
        ("a LOGIN alice", "a", "Missing arguments after the user name"),
        ("a LOGIN alice \"pw\u{0}\"", "a", "NUL, CR and LF are not allowed in a quoted string"),
        ("a LOGIN alice \"pw\rx\"", "a", "NUL, CR and LF are not allowed in a quoted string"),
        ("a LOGIN alice \"pw", "a", "Unterminated quoted string"),
        ("a LOGIN alice \"p\\w\"", "a", "Only \\\" and \\\\ may be escaped in a quoted string"),
        ("a LOGIN alice {3+}\r\nab", "a", "Literal shorter than announced"),
        ("a SELECT", "a", "Missing arguments after SELECT"),
        ("a SELECT INBOX (CONDSTORE", "a", "Expected ) to close the SELECT parameters"),
        ("a AUTHENTICATE PLAIN abc", "a", "Invalid base64 initial response"),
        ("a FETCH 0 FLAGS", "a", "Expected a message number (1 or more) or *"),
        ("a FETCH $ FLAGS", "a", "$ (SEARCHRES) is not supported"),
        ("a FETCH 1:4294967296 FLAGS", "a", "Number too large (at most 4294967295)"),
        ("a FETCH 1 (FLAGS", "a", "Expected ) to close the fetch attributes"),
        ("a FETCH 1 ()", "a", "Expected at least one item in the fetch attributes"),
        ("a FETCH 1 BODY.PEEK", "a", "Expected [ to open the section"),
        ("a FETCH 1 BODY[MIME]", "a", "Invalid section MIME"),
        ("a FETCH 1 BODY[1.]", "a", "Invalid section specification"),
        ("a FETCH 1 BODY[HEADER.FIELDS ()]", "a", "Expected at least one item in the header field names"),
        ("a FETCH 1 BODY[]<0.0>", "a", "Expected the partial length"),
        ("a FETCH 1 RFC822.FOO", "a", "Unknown fetch attribute RFC822.FOO"),
        ("a STORE 1 FLAGS (\\Recent)", "a", "\\Recent cannot be set by a client"),
        ("a STORE 1 LABELS (x)", "a", "Unknown STORE item LABELS"),
        ("a SEARCH", "a", "Missing arguments after SEARCH"),
        ("a SEARCH FOO", "a", "Unknown search key FOO"),
        ("a SEARCH SINCE 32-Jan-2020", "a", "Invalid day of the month"),
        ("a SEARCH SINCE 1-Foo-2020", "a", "Expected a month such as Jan"),
        ("a SEARCH OR SEEN", "a", "Missing arguments after the first key of OR"),
        ("a SEARCH (SEEN", "a", "Expected ) to close the search keys"),
        ("a STATUS INBOX (SIZE)", "a", "Unknown status attribute SIZE"),
        ("a APPEND INBOX", "a", "Missing arguments after the mailbox name"),
        ("a APPEND INBOX \"hello\"", "a", "Expected a day of the month"),
        ("a APPEND INBOX (\\Seen) abc", "a", "Expected the message as a literal"),
        ("a APPEND INBOX \"1-Jan-2024 25:00:00 +0000\" {1+}\r\nx", "a", "Invalid time"),
        ("a LIST (RECURSIVEMATCH) \"\" *", "a", "RECURSIVEMATCH needs another selection option"),
        ("a LIST \"\" * CHILDREN", "a", "Expected RETURN after the LIST patterns"),
        ("a UID NOOP", "a", "UID NOOP is not a command"),
        ("a ENABLE", "a", "Missing arguments after ENABLE"),
    ]

    @Test(arguments: invalid)
    func refuses(wire: String, tag: String?, text: String) {
        let result = IMAPCommandParser.parse(wire)
        #expect(result == .failure(IMAPCommandError(tag: tag, text: text)))
    }

    @Test func commandNamesAreCaseInsensitiveInASCIIOnly() {
        #expect((try? IMAPCommandParser.parse("a sElEcT INBOX").get()) != nil)
        // U+017F (long s) upper-cases to S in Unicode.
        #expect(IMAPCommandParser.parse("a \u{17F}ELECT INBOX") == .failure(IMAPCommandError(tag: "a", text: "Expected a command name")))
    }

    @Test func recognisesIdleDone() {
        #expect(IMAPCommandParser.isIdleDone(IMAPFrame(bytes: Array("done".utf8))))
        #expect(!IMAPCommandParser.isIdleDone(IMAPFrame(bytes: Array("a DONE".utf8))))
    }

    @Test func aStreamedLiteralReadsAsStreamed() throws {
        let limits = IMAPLimits(inlineLiteralThreshold: 4)
        let parsed = try #require(parseWire(Array("a APPEND INBOX {10+}\r\n0123456789 {1+}\r\nx\r\n".utf8), limits: limits)).get()
        #expect(parsed.command == .append(.inbox, [IMAPAppendMessage(data: .streamed(index: 0, size: 10)),
                                                   IMAPAppendMessage(data: .inline([0x78]))]))
    }

    @Test func aStreamedLiteralIsRefusedWhereAStringIsNeeded() {
        let limits = IMAPLimits(inlineLiteralThreshold: 4)
        #expect(parseWire(Array("a LOGIN {10+}\r\n0123456789 x\r\n".utf8), limits: limits)
            == .failure(IMAPCommandError(tag: "a", text: "Literal too large for a user name")))
    }
}

@Suite("IMAP grammar details")
struct GrammarDetailTests {
    @Test func inboxIsCaseInsensitive() {
        #expect(IMAPMailboxName("iNbOx").isInbox)
        #expect(!IMAPMailboxName("INBOX.Sent").isInbox)
    }

    @Test func sequenceSetsResolveStarAndReversedRanges() throws {
        let command = try IMAPCommandParser.parse("a FETCH 5:2,*,9:* FLAGS").get()
        guard case .fetch(let set, _, _) = command.command else {
            Issue.record("\(command)")
            return
        }
        #expect(set.contains(3, largest: 20))
        #expect(set.contains(20, largest: 20))
        #expect(!set.contains(7, largest: 8))
        #expect(set.contains(8, largest: 8))
    }

    @Test func anIDWithMoreThanThirtyFieldsIsBAD() {
        let fields = (0..<31).map { "\"k\($0)\" NIL" }.joined(separator: " ")
        #expect(IMAPCommandParser.parse("a ID (\(fields))") == .failure(IMAPCommandError(tag: "a", text: "Too many ID fields")))
    }

    @Test func aCharsetMustBeASCII() {
        #expect(IMAPCommandParser.parse("a SEARCH CHARSET \"\u{E9}\" ALL") == .failure(IMAPCommandError(tag: "a", text: "Invalid charset name")))
    }

    @Test func mailboxNamesMayComeAsLiteralsWithEightBitOctets() throws {
        let parsed = try IMAPCommandParser.parse(IMAPFrame(bytes: Array("a CREATE {3}\r\n".utf8) + [0xE2, 0x82, 0xAC])).get()
        #expect(parsed.command == .create(IMAPMailboxName([0xE2, 0x82, 0xAC])))
    }
}
