import NIOCore
import Testing
@testable import IMAPProtocol

/// Which commands each state allows (RFC 3501 §3, §6), as tables: a command line, and what the
/// session does with it before login, after login, and in IDLE's absence of a reply.
@Suite("IMAP session states")
struct IMAPSessionStateTests {
    static let open = IMAPSessionConfiguration(maximumErrors: 100, plaintextAllowed: true, starttlsAvailable: true)

    static func loggedIn(_ configuration: IMAPSessionConfiguration = open) -> IMAPSession {
        var session = IMAPSession(configuration: configuration)
        _ = session.receive(IMAPCommandParser.parse("a LOGIN alice secret"))
        _ = session.credentialsVerified("alice@example.org")
        _ = session.accountOpened()
        return session
    }

    static func bad(_ text: String, tag: String = "t") -> IMAPSession.Action {
        .send([.tagged(tag, IMAPStatus(.bad, text))])
    }

    /// Commands of the authenticated and selected states (RFC 3501 §6.3, §6.4, extensions):
    /// BAD before login, handed to the mailbox layer after it.
    static let mailboxCommands = [
        "t SELECT INBOX", "t EXAMINE INBOX", "t CREATE x", "t DELETE x", "t RENAME x y", "t SUBSCRIBE x",
        "t UNSUBSCRIBE x", "t LIST \"\" *", "t LSUB \"\" *", "t STATUS INBOX (MESSAGES)", "t APPEND INBOX {1+}\r\nx",
        "t CHECK", "t CLOSE", "t UNSELECT", "t EXPUNGE", "t UID EXPUNGE 1", "t SEARCH ALL", "t FETCH 1 FLAGS",
        "t STORE 1 +FLAGS (\\Seen)", "t COPY 1 x", "t MOVE 1 x", "t UID FETCH 1:* FLAGS", "t UID SEARCH ALL",
        "t UID STORE 1 FLAGS ()", "t UID COPY 1 x", "t UID MOVE 1 x",
    ]

    @Test(arguments: mailboxCommands + ["t ENABLE CONDSTORE", "t NAMESPACE", "t IDLE"])
    func refusedBeforeLogin(line: String) {
        var session = IMAPSession(configuration: Self.open)
        #expect(session.receive(IMAPCommandParser.parse(line)) == Self.bad("Command not allowed before login."))
        #expect(session.state == .notAuthenticated)
        #expect(session.errorCount == 1)
    }

    @Test(arguments: mailboxCommands + ["t NOOP"])
    func handedToTheMailboxLayerAfterLogin(line: String) throws {
        var session = Self.loggedIn()
        let command = try IMAPCommandParser.parse(line).get()
        #expect(session.receive(command) == .runMailboxCommand(command))
        #expect(session.state == .runningMailboxCommand(selected: false))
        session.mailboxCommandFinished(selected: true)
        #expect(session.state == .authenticated(selected: true))
    }

    @Test func selectionIsKeptAcrossSessionAnsweredCommands() throws {
        var session = Self.loggedIn()
        _ = session.receive(try IMAPCommandParser.parse("s SELECT INBOX").get())
        session.mailboxCommandFinished(selected: true)
        _ = session.receive(try IMAPCommandParser.parse("c CAPABILITY").get())
        _ = session.receive(try IMAPCommandParser.parse("i IDLE").get())
        #expect(session.state == .idling(tag: "i", selected: true))
        _ = session.receive(IMAPFrame(bytes: Array("done".utf8)))
        #expect(session.state == .authenticated(selected: true))
    }

    @Test(arguments: ["t LOGIN a b", "t AUTHENTICATE PLAIN", "t STARTTLS"])
    func loginCommandsRefusedAfterLogin(line: String) {
        var session = Self.loggedIn()
        #expect(session.receive(IMAPCommandParser.parse(line)) == Self.bad("Already authenticated."))
        #expect(session.isAuthenticated)
    }

    @Test(arguments: [false, true])
    func anyStateCommands(loggedIn: Bool) {
        var session = loggedIn ? Self.loggedIn() : IMAPSession(configuration: Self.open)
        let capability = session.receive(IMAPCommandParser.parse("c CAPABILITY"))
        #expect(capability == .send([.untagged(.capability(session.capabilities)),
                                     .tagged("c", IMAPStatus(.ok, "Capability completed."))]))
        #expect(session.receive(IMAPCommandParser.parse("i ID (\"name\" \"imaplib\")"))
                == .send([.untagged(.id([IMAPIDField(name: "name", value: "Tsubame")])), .tagged("i", IMAPStatus(.ok, "ID completed."))]))
        #expect(session.receive(IMAPCommandParser.parse("i2 ID NIL"))
                == .send([.untagged(.id([IMAPIDField(name: "name", value: "Tsubame")])), .tagged("i2", IMAPStatus(.ok, "ID completed."))]))
        #expect(session.receive(IMAPCommandParser.parse("l LOGOUT"))
                == .close([.untagged(.bye(nil, "Logging out")), .tagged("l", IMAPStatus(.ok, "Logout completed."))]))
        #expect(session.state == .logout)
    }

    @Test func noopBeforeLoginIsAnsweredHere() {
        var session = IMAPSession(configuration: Self.open)
        #expect(session.receive(IMAPCommandParser.parse("n NOOP")) == .send([.tagged("n", IMAPStatus(.ok, "NOOP completed."))]))
    }

    @Test func enableAndNamespaceAfterLogin() {
        var session = Self.loggedIn()
        #expect(session.receive(IMAPCommandParser.parse("e ENABLE CONDSTORE QRESYNC"))
                == .send([.untagged(.enabled([])), .tagged("e", IMAPStatus(.ok, "ENABLE completed."))]))
        let namespace = session.receive(IMAPCommandParser.parse("n NAMESPACE"))
        guard case .send(let responses) = namespace else { Issue.record("\(namespace)"); return }
        var out = ""
        for response in responses {
            out += String(buffer: IMAPResponseEncoder.encode(response))
        }
        #expect(out == "* NAMESPACE ((\"\" \".\")) NIL NIL\r\nn OK Namespace completed.\r\n")
    }

    @Test func idleStartsAndDoneEndsIt() {
        var session = Self.loggedIn()
        #expect(session.receive(IMAPCommandParser.parse("i IDLE")) == .startIdle(.continuation("idling")))
        #expect(session.isIdling)
        #expect(session.receive(IMAPFrame(bytes: Array("DONE".utf8)))
                == .finishIdle(.tagged("i", IMAPStatus(.ok, "Idle completed."))))
        #expect(!session.isIdling)
    }

    /// RFC 2177 §3: anything but DONE ends IDLE with BAD, and counts as an error.
    @Test func idleEndsWithBadOnAnythingButDone() {
        var session = Self.loggedIn()
        _ = session.receive(IMAPCommandParser.parse("i IDLE"))
        #expect(session.receive(IMAPFrame(bytes: Array("x NOOP".utf8)))
                == .finishIdle(.tagged("i", IMAPStatus(.bad, "Expected DONE."))))
        #expect(session.errorCount == 1)
        #expect(session.state == .authenticated(selected: false))
    }

    @Test func syntaxErrorsAreBadWithTheirTag() {
        var session = IMAPSession(configuration: Self.open)
        #expect(session.receive(IMAPFrame(bytes: Array("a1 FROB".utf8))) == Self.bad("Unknown command FROB", tag: "a1"))
        #expect(session.receive(IMAPFrame(bytes: Array("+++".utf8))) == .send([.untagged(.status(IMAPStatus(.bad, "Invalid tag")))]))
    }

    @Test func tooManyErrorsCloseWithBye() {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(maximumErrors: 3, plaintextAllowed: true))
        #expect(session.receive(IMAPCommandParser.parse("1 FETCH 1 FLAGS")) == Self.bad("Command not allowed before login.", tag: "1"))
        #expect(session.receive(IMAPCommandParser.parse("2 FROB")) == Self.bad("Unknown command FROB", tag: "2"))
        #expect(session.receive(IMAPCommandParser.parse("3 FROB"))
                == .close([.tagged("3", IMAPStatus(.bad, "Unknown command FROB")),
                           .untagged(.bye(nil, "Too many invalid IMAP commands."))]))
        #expect(session.state == .logout)
    }

    @Test func framerRefusalsAndFatalErrors() {
        var session = IMAPSession(configuration: Self.open)
        #expect(session.receiveRefusal(.literalTooLarge(999_999_999), tag: "a")
                == .send([.tagged("a", IMAPStatus(.no, code: .tooBig, "Literal of 999999999 octets is larger than the limit"))]))
        #expect(session.errorCount == 1)
        let fatal = session.receiveFatal(.lineTooLong, tag: nil)
        #expect(fatal == .close(IMAPFramingError.lineTooLong.fatalResponses(tag: nil)))
        #expect(session.state == .logout)
    }

    /// Before login a literal stays small and inline; after it APPENDLIMIT governs.
    @Test func framerLimitsRiseAfterLogin() {
        let configuration = IMAPSessionConfiguration(plaintextAllowed: true, appendLimit: 1_000_000)
        let before = IMAPSession(configuration: configuration)
        #expect(before.framerLimits.appendLimit <= 8_192)
        #expect(before.framerLimits.inlineLiteralThreshold >= before.framerLimits.appendLimit)
        let after = Self.loggedIn(configuration)
        #expect(after.framerLimits.appendLimit == 1_000_000)
        #expect(after.framerLimits.inlineLiteralThreshold < 1_000_000)
    }

    @Test func greetingCarriesCapabilitiesNeverPreauth() {
        let session = IMAPSession(configuration: IMAPSessionConfiguration(plaintextAllowed: false, starttlsAvailable: true))
        #expect(String(buffer: IMAPResponseEncoder.encode(session.greeting))
                == "* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE STARTTLS LOGINDISABLED] Tsubame ready.\r\n")
    }

    @Test func capabilitiesByState() {
        let plain = IMAPSession(configuration: IMAPSessionConfiguration(plaintextAllowed: true, starttlsAvailable: true))
        #expect(plain.capabilities == ["IMAP4rev1", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE", "STARTTLS",
                                       "AUTH=SCRAM-SHA-256", "AUTH=PLAIN"])
        let implicit = IMAPSession(configuration: IMAPSessionConfiguration(plaintextAllowed: false, tlsActive: true))
        #expect(implicit.capabilities == ["IMAP4rev1", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE",
                                          "AUTH=SCRAM-SHA-256", "AUTH=PLAIN"])
        let after = Self.loggedIn(IMAPSessionConfiguration(plaintextAllowed: true, appendLimit: 1234))
        #expect(after.capabilities == ["IMAP4rev1", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT",
                                       "UIDPLUS", "MOVE", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS",
                                       "MULTIAPPEND", "APPENDLIMIT=1234"])
    }
}

@Suite("IMAP framer: blank lines for SASL")
struct IMAPFramerBlankLineTests {
    /// SCRAM's last response is an empty line (RFC 3501 §6.2.2): delivered only when asked.
    @Test func blankLinesAreDeliveredOnlyWhenAsked() {
        var framer = IMAPFramer()
        var buffer = ByteBuffer(string: "\r\n")
        #expect(framer.next(from: &buffer) == nil)
        framer.deliversBlankLines = true
        buffer = ByteBuffer(string: "\r\n")
        #expect(framer.next(from: &buffer) == .frame(IMAPFrame(bytes: [])))
    }

    @Test func literalOctetsRemainingCountsDown() {
        var framer = IMAPFramer(limits: IMAPLimits(inlineLiteralThreshold: 4))
        var buffer = ByteBuffer(string: "a APPEND x {10+}\r\n12345")
        #expect(framer.next(from: &buffer) == .literalBytes(ByteBuffer(string: "12345")))
        #expect(framer.literalOctetsRemaining == 5)
        buffer = ByteBuffer(string: "67890\r\n")
        #expect(framer.next(from: &buffer) == .literalBytes(ByteBuffer(string: "67890")))
        #expect(framer.literalOctetsRemaining == 0)
        #expect(framer.next(from: &buffer) == .frame(IMAPFrame(bytes: Array("a APPEND x {10+}\r\n".utf8),
                                                                streamedLiterals: [.init(offset: 18, size: 10)])))
        #expect(framer.literalOctetsRemaining == nil)
    }
}
