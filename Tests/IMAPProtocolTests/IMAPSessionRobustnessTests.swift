import Testing
@testable import IMAPProtocol

/// Whatever a client sends, the session answers and never traps: random frames (command-like
/// words, lists, literals markers, garbage) in every state a client can reach by itself.
@Suite("IMAP session robustness")
struct IMAPSessionRobustnessTests {
    /// A small deterministic generator (xorshift), so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    }

    static let words = ["a", "*", "+", "LOGIN", "AUTHENTICATE", "PLAIN", "SCRAM-SHA-256", "STARTTLS", "IDLE", "DONE",
                        "SELECT", "FETCH", "UID", "ID", "NIL", "(", ")", "\"", "\\", "{5}", "{0+}", "=", "1:*", "ENABLE",
                        "NAMESPACE", "CAPABILITY", "LOGOUT", "NOOP", "APPEND", "INBOX", " ", "\u{00}", "\u{FF}", "~{1}"]

    @Test(arguments: [1, 2, 3, 4])
    func randomFramesNeverTrap(seed: UInt64) {
        var generator = Generator(state: 0x9E37_79B9_7F4A_7C15 &* seed)
        for _ in 0..<300 {
            let logIn = generator.next() % 2 == 0
            var session = IMAPSession(configuration: IMAPSessionConfiguration(
                maximumErrors: 1000, plaintextAllowed: logIn || generator.next() % 2 == 0, starttlsAvailable: true))
            if logIn {
                _ = session.receive(IMAPCommandParser.parse("l LOGIN a b"))
                _ = session.credentialsVerified("a@example.org")
                _ = session.accountOpened()
            }
            for _ in 0..<20 {
                var line = ""
                for _ in 0..<(generator.next() % 8) { line += generator.pick(Self.words) + " " }
                let action = session.receive(IMAPFrame(bytes: Array(line.utf8)))
                // Answer whatever the session waits for, as the handler would, to go on.
                switch action {
                case .verifyCredentials, .finishSCRAM: _ = session.credentialsVerified(nil)
                case .lookUpSCRAMCredentials: _ = session.loginRefused(.unavailable)
                case .openAccount: _ = session.accountOpened()
                case .runMailboxCommand: session.mailboxCommandFinished(selected: generator.next() % 2 == 0)
                case .startTLS: session = session.afterTLSHandshake()
                case .close: break
                case .send, .continueSASL, .startIdle, .finishIdle: continue
                }
                if case .close = action { break }
            }
        }
    }
}
