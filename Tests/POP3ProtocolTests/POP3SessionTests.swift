import ProtocolSupport
import Testing
@testable import POP3Protocol

@Suite("POP3 session state machine")
struct POP3SessionTests {
    static let snapshot = [
        MaildropMessage(uid: "u1", size: 100, location: "new/a"),
        MaildropMessage(uid: "u2", size: 250, location: "cur/b:2,S"),
    ]

    func session(plaintext: Bool = true, maximumErrors: Int = 5) -> POP3Session {
        POP3Session(configuration: POP3SessionConfiguration(maximumErrors: maximumErrors, plaintextAllowed: plaintext))
    }

    func send(_ session: inout POP3Session, _ line: String) -> POP3Session.Action {
        session.receive(POP3CommandParser.parse(Array(line.utf8)))
    }

    func loggedIn() -> POP3Session {
        var session = self.session()
        _ = send(&session, "USER alice@x")
        _ = send(&session, "PASS pw")
        _ = session.credentialsVerified("alice@x")
        _ = session.maildropOpened(.success(Self.snapshot))
        return session
    }

    @Test func userPassLogin() {
        var session = self.session()
        #expect(send(&session, "USER alice@x") == .reply(.ok("Send your password")))
        #expect(send(&session, "PASS secret") == .verifyCredentials(user: "alice@x", password: "secret", method: .userPass))
        #expect(session.credentialsVerified("alice@x") == .openMaildrop(user: "alice@x"))
        #expect(session.maildropOpened(.success(Self.snapshot)) == .reply(.ok("Logged in, 2 messages (350 octets)")))
        #expect(session.state == .transaction(OpenMaildrop(user: "alice@x", messages: Self.snapshot)))
    }

    @Test func failedLoginReturnsToAuthorization() {
        var session = self.session()
        _ = send(&session, "USER alice@x")
        _ = send(&session, "PASS wrong")
        #expect(session.credentialsVerified(nil) == .reply(.authenticationFailed))
        #expect(session.state == .authorization(user: nil))
    }

    @Test func inUseMaildrop() {
        var session = self.session()
        _ = send(&session, "USER alice@x")
        _ = send(&session, "PASS pw")
        _ = session.credentialsVerified("alice@x")
        #expect(session.maildropOpened(.failure(.inUse)) == .reply(.mailboxInUse))
        #expect(session.state == .authorization(user: nil))
    }

    @Test func saslPlainWithInitialResponseAndContinuation() {
        let response = Base64.encode(Array("\u{0}alice@x\u{0}pw".utf8))
        var session = self.session()
        #expect(send(&session, "AUTH PLAIN \(response)") == .verifyCredentials(user: "alice@x", password: "pw", method: .sasl(.plain)))
        var other = self.session()
        #expect(send(&other, "AUTH PLAIN") == .continueSASL([]))
        #expect(other.expectsSASLResponse)
        #expect(other.receiveSASLResponse(Array(response.utf8)) == .verifyCredentials(user: "alice@x", password: "pw", method: .sasl(.plain)))
        var cancelled = self.session()
        _ = send(&cancelled, "AUTH PLAIN")
        #expect(cancelled.receiveSASLResponse(Array("*".utf8)) == .reply(.error("Authentication cancelled")))
    }

    @Test func plaintextRefusedWhenNotAllowed() {
        var session = self.session(plaintext: false)
        #expect(send(&session, "USER alice@x") == .reply(.plaintextDisallowed))
        #expect(send(&session, "AUTH PLAIN") == .reply(.plaintextDisallowed))
        guard case .replyLines(_, let capabilities) = send(&session, "CAPA") else { Issue.record("no CAPA"); return }
        #expect(!capabilities.contains("USER"))
        #expect(!capabilities.contains { $0.hasPrefix("SASL") })
    }

    @Test func capabilities() {
        var session = self.session()
        guard case .replyLines(_, let capabilities) = send(&session, "CAPA") else { Issue.record("no CAPA"); return }
        for capability in ["TOP", "UIDL", "USER", "SASL SCRAM-SHA-256 PLAIN LOGIN", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
                           "EXPIRE NEVER", "IMPLEMENTATION Tsubame"] {
            #expect(capabilities.contains(capability), "\(capability)")
        }
    }

    @Test func transactionCommands() {
        var session = loggedIn()
        #expect(send(&session, "STAT") == .reply(.ok("2 350")))
        #expect(send(&session, "LIST 2") == .reply(.ok("2 250")))
        #expect(send(&session, "UIDL 1") == .reply(.ok("1 u1")))
        #expect(send(&session, "LIST") == .sendListing(.ok("2 messages (350 octets)"), .sizes))
        #expect(Array(session.listingLines(.uids)) == ["1 u1", "2 u2"])
        #expect(send(&session, "RETR 1") == .sendMessage(.ok("100 octets"), index: 0, bodyLineLimit: nil))
        session.messageSent(index: 0, newLocation: "cur/a:2,S")
        #expect(session.messages[0].location == "cur/a:2,S")
        #expect(send(&session, "TOP 2 0") == .sendMessage(.ok("Top of message follows"), index: 1, bodyLineLimit: 0))
        session.messageSent(index: 1, newLocation: nil)
    }

    @Test func deleteHidesAndResetRestores() {
        var session = loggedIn()
        #expect(send(&session, "DELE 1") == .reply(.ok("Message 1 deleted")))
        #expect(send(&session, "DELE 1") == .reply(.messageDeleted))
        #expect(send(&session, "RETR 1") == .reply(.messageDeleted))
        #expect(send(&session, "STAT") == .reply(.ok("1 250")))
        #expect(Array(session.listingLines(.sizes)) == ["2 250"])
        _ = send(&session, "RSET")
        #expect(send(&session, "STAT") == .reply(.ok("2 350")))
    }

    @Test func quitInTransactionUpdates() {
        var session = loggedIn()
        _ = send(&session, "DELE 2")
        #expect(send(&session, "QUIT") == .update([MaildropMessage(uid: "u2", size: 250, location: "cur/b:2,S", isDeleted: true)]))
        #expect(session.updateFinished(removedAll: true) == .close(.ok("Tsubame POP3 server signing off (1 messages deleted)")))
        var failing = loggedIn()
        _ = send(&failing, "DELE 1")
        _ = send(&failing, "QUIT")
        #expect(failing.updateFinished(removedAll: false) == .close(.error("Some deleted messages were not removed", code: .systemTemporary)))
    }

    static let errors: [(String, POP3Response)] = [
        ("RETR 0", .error("RETR takes one message number")),
        ("RETR 3", .noSuchMessage),
        ("LIST 9", .noSuchMessage),
        ("USER bob@x", .wrongState),
        ("BLAH", .unknownCommand),
    ]

    @Test(arguments: errors)
    func transactionErrors(line: String, expected: POP3Response) {
        var session = loggedIn()
        #expect(send(&session, line) == .reply(expected))
        #expect(session.state == loggedIn().state)
    }

    @Test func commandsBeforeLoginAreRefused() {
        var session = self.session()
        #expect(send(&session, "STAT") == .reply(.wrongState))
        #expect(send(&session, "PASS pw") == .reply(.error("Send USER first")))
        #expect(session.receiveLineTooLong() == .reply(.lineTooLong))
    }

    @Test func errorLimitCloses() {
        var session = self.session(maximumErrors: 3)
        _ = send(&session, "X")
        _ = send(&session, "Y")
        #expect(send(&session, "Z") == .close(.tooManyErrors))
    }
}

extension MaildropMessage {
    init(uid: String, size: Int, location: String, isDeleted: Bool) {
        self.init(uid: uid, size: size, location: location)
        self.isDeleted = isDeleted
    }
}

@Suite("STLS in the POP3 session")
struct STLSSessionTests {
    @Test func stlsThenPasswordsAllowed() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 5, plaintextAllowed: false,
                                                                          stlsAvailable: true))
        guard case .replyLines(_, let before) = session.receive(.capa) else { Issue.record("no CAPA"); return }
        #expect(before.contains("STLS"))
        #expect(!before.contains("USER"))
        #expect(session.receive(.user("a@x")) == .reply(.plaintextDisallowed))
        #expect(session.receive(.stls) == .startTLS(.ok("Begin TLS negotiation")))
        var secured = session.afterTLSHandshake()
        guard case .replyLines(_, let after) = secured.receive(.capa) else { Issue.record("no CAPA"); return }
        #expect(!after.contains("STLS"))
        #expect(after.contains("USER"))
        #expect(secured.receive(.stls) == .reply(.error("TLS is already active")))
        #expect(secured.receive(.user("a@x")) == .reply(.ok("Send your password")))
    }

    @Test func stlsNotAfterLogin() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 5, plaintextAllowed: true,
                                                                          stlsAvailable: true))
        _ = session.receive(.user("a@x"))
        _ = session.receive(.pass("pw"))
        _ = session.credentialsVerified("a@x")
        _ = session.maildropOpened(.success([]))
        #expect(session.receive(.stls) == .reply(.wrongState))
    }
}
