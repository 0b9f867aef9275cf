import Testing
@testable import POP3Protocol

/// The session's state holds the user and the maildrop snapshot where, and only where, they exist.
@Suite("POP3 session state")
struct POP3SessionStateTests {
    static let snapshot = [
        MaildropMessage(uid: "u1", size: 100, location: "new/a"),
        MaildropMessage(uid: "u2", size: 250, location: "new/b"),
    ]

    func send(_ session: inout POP3Session, _ line: String) -> POP3Session.Action {
        session.receive(POP3CommandParser.parse(Array(line.utf8)))
    }

    @Test func loginMovesTheUserIntoTheState() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 5, plaintextAllowed: true))
        _ = send(&session, "USER alice@x")
        #expect(session.state == .authorization(user: "alice@x"))
        _ = send(&session, "PASS pw")
        #expect(session.state == .verifyingCredentials)
        _ = session.credentialsVerified("alice@x")
        #expect(session.state == .openingMaildrop(user: "alice@x"))
        #expect(session.messages.isEmpty)
        _ = session.maildropOpened(.success(Self.snapshot))
        #expect(session.state == .transaction(OpenMaildrop(user: "alice@x", messages: Self.snapshot)))
    }

    @Test func sendingMessageKnowsWhichAndTransactionKeepsTheMarks() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 5, plaintextAllowed: true))
        _ = send(&session, "USER alice@x")
        _ = send(&session, "PASS pw")
        _ = session.credentialsVerified("alice@x")
        _ = session.maildropOpened(.success(Self.snapshot))
        var expected = OpenMaildrop(user: "alice@x", messages: Self.snapshot)

        _ = send(&session, "RETR 2")
        #expect(session.state == .sendingMessage(expected, index: 1))
        session.messageSent(index: 1, newLocation: "cur/b:2,S")
        expected.messages[1].location = "cur/b:2,S"
        #expect(session.state == .transaction(expected))

        _ = send(&session, "DELE 1")
        expected.messages[0].isDeleted = true
        #expect(session.state == .transaction(expected))
        _ = send(&session, "RSET")
        expected.messages[0].isDeleted = false
        #expect(session.state == .transaction(expected))

        _ = send(&session, "DELE 2")
        expected.messages[1].isDeleted = true
        #expect(send(&session, "QUIT") == .update([expected.messages[1]]))
        #expect(session.state == .updating(expected))
        _ = session.updateFinished(removedAll: true)
        #expect(session.state == .closed)
    }

    @Test func failedMaildropOpenForgetsTheUser() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 5, plaintextAllowed: true))
        _ = send(&session, "USER alice@x")
        _ = send(&session, "PASS pw")
        _ = session.credentialsVerified("alice@x")
        #expect(session.maildropOpened(.failure(.unavailable)) == .reply(.temporaryFailure))
        #expect(session.state == .authorization(user: nil))
        #expect(session.messages.isEmpty)
    }

    /// The snapshot lives in the state: DELE must change it in place. Copying it on every DELE
    /// makes this take tens of seconds instead of milliseconds.
    @Test func deletingInALargeMaildropDoesNotCopyTheSnapshot() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 5, plaintextAllowed: true))
        _ = session.receive(.user("alice@x"))
        _ = session.receive(.pass("pw"))
        _ = session.credentialsVerified("alice@x")
        let count = 20_000
        _ = session.maildropOpened(.success((0..<count).map { MaildropMessage(uid: "u\($0)", size: 1, location: "new/\($0)") }))
        let elapsed = ContinuousClock().measure {
            for number in 1...count { _ = session.receive(.dele(number)) }
        }
        #expect(elapsed < .seconds(5), "\(elapsed) for \(count) DELE")
        #expect(session.messages.filter(\.isDeleted).count == count)
    }

    @Test func errorLimitInTransactionCloses() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 2, plaintextAllowed: true))
        _ = send(&session, "USER alice@x")
        _ = send(&session, "PASS pw")
        _ = session.credentialsVerified("alice@x")
        _ = session.maildropOpened(.success(Self.snapshot))
        _ = send(&session, "DELE 9")
        #expect(send(&session, "DELE 9") == .close(.tooManyErrors))
        #expect(session.state == .closed)
    }
}
