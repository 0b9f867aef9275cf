import ProtocolSupport
import SASL
import Testing
@testable import IMAPProtocol

/// LOGIN, AUTHENTICATE (RFC 3501 §6.2, RFC 4959 SASL-IR) and STARTTLS as dialogues: each row is
/// what the client sends (a command, a SASL response, or the handler's answer to an action)
/// and the action the session returns.
@Suite("IMAP session login")
struct IMAPSessionAuthenticationTests {
    enum Input: Sendable {
        case command(String)
        case response(String)  // a line after a "+" challenge
        case credentialsVerified(String?)
        case scramCredentials(SCRAMCredentials)
        case loginRefused(IMAPLoginRefusal)
        case accountOpened
    }

    static func b64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }
    static func challenge(_ text: String) -> IMAPSession.Action { .continueSASL(Array(text.utf8)) }
    static func tagged(_ tag: String, _ kind: IMAPStatus.Kind, _ code: IMAPResponseCode, _ text: String) -> IMAPSession.Action {
        .send([.tagged(tag, IMAPStatus(kind, code: code, text))])
    }
    static func tagged(_ tag: String, _ kind: IMAPStatus.Kind, _ text: String) -> IMAPSession.Action {
        .send([.tagged(tag, IMAPStatus(kind, text))])
    }
    static let failed = tagged("a", .no, .authenticationFailed, "Authentication failed.")
    static func loggedIn(_ tag: String) -> IMAPSession.Action {
        .send([.tagged(tag, IMAPStatus(.ok, code: .capability(IMAPSessionStateTests.loggedIn().capabilities), "Logged in"))])
    }

    /// RFC 7677 §3: user "user", password "pencil".
    enum RFC7677 {
        static let credentials = SCRAMCredentials.derive(
            password: "pencil", salt: Base64.decode(Array("W22ZaJ0SNY7soEsUEjb6gQ==".utf8))!, iterations: 4096)!
        static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        static let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        static let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        static let serverFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    }

    static let dialogues: [(String, [(Input, IMAPSession.Action)])] = [
        ("LOGIN", [
            (.command("a LOGIN alice@x \"se cret\""), .verifyCredentials(user: "alice@x", password: "se cret", method: .login)),
            (.credentialsVerified("alice@x"), .openAccount(user: "alice@x")),
            (.accountOpened, loggedIn("a")),
        ]),
        ("LOGIN refused: unknown user and wrong password answer alike", [
            (.command("a LOGIN alice@x secret"), .verifyCredentials(user: "alice@x", password: "secret", method: .login)),
            (.credentialsVerified(nil), failed),
            (.command("b SELECT INBOX"), tagged("b", .bad, "Command not allowed before login.")),
        ]),
        ("LOGIN locked out", [
            (.command("a LOGIN alice@x secret"), .verifyCredentials(user: "alice@x", password: "secret", method: .login)),
            (.loginRefused(.lockedOut), tagged("a", .no, .unavailable, "Too many failed logins, try again later.")),
        ]),
        ("LOGIN, the account cannot be opened", [
            (.command("a LOGIN alice@x secret"), .verifyCredentials(user: "alice@x", password: "secret", method: .login)),
            (.credentialsVerified("alice@x"), .openAccount(user: "alice@x")),
            (.loginRefused(.unavailable), tagged("a", .no, .unavailable, "Temporary authentication failure.")),
            (.command("b NAMESPACE"), tagged("b", .bad, "Command not allowed before login.")),
        ]),
        ("LOGIN over the per-user-and-address bound, as Dovecot answers it", [
            (.command("a LOGIN alice@x secret"), .verifyCredentials(user: "alice@x", password: "secret", method: .login)),
            (.credentialsVerified("alice@x"), .openAccount(user: "alice@x")),
            (.loginRefused(.tooManyUserConnections(10)),
             tagged("a", .no, .unavailable, "Maximum number of connections from user+IP exceeded (max_user_connections_per_ip=10)")),
            (.command("b NOOP"), tagged("b", .ok, "NOOP completed.")),
        ]),
        ("AUTHENTICATE PLAIN with SASL-IR", [
            (.command("a AUTHENTICATE PLAIN \(b64("\0alice@x\0secret"))"),
             .verifyCredentials(user: "alice@x", password: "secret", method: .sasl(.plain))),
            (.credentialsVerified("alice@x"), .openAccount(user: "alice@x")),
            (.accountOpened, loggedIn("a")),
        ]),
        ("AUTHENTICATE PLAIN, the response after an empty challenge", [
            (.command("a authenticate plain"), .continueSASL([])),
            (.response(b64("\0alice@x\0secret")), .verifyCredentials(user: "alice@x", password: "secret", method: .sasl(.plain))),
            (.credentialsVerified(nil), failed),
        ]),
        ("AUTHENTICATE PLAIN with an empty initial response (=)", [
            (.command("a AUTHENTICATE PLAIN ="), .continueSASL([])),
            (.response("*"), tagged("a", .bad, "Authentication aborted by client.")),
        ]),
        ("AUTHENTICATE cancelled with *", [
            (.command("a AUTHENTICATE PLAIN"), .continueSASL([])),
            (.response("*"), tagged("a", .bad, "Authentication aborted by client.")),
            (.command("b NOOP"), tagged("b", .ok, "NOOP completed.")),
        ]),
        ("AUTHENTICATE with bad base64", [
            (.command("a AUTHENTICATE PLAIN"), .continueSASL([])),
            (.response("YWxp!2U="), tagged("a", .bad, "Invalid base64 data in continued response")),
        ]),
        ("unsupported mechanisms: LOGIN (IMAP has its own command), CRAM-MD5, -PLUS", [
            (.command("a AUTHENTICATE LOGIN"), tagged("a", .no, "Unsupported authentication mechanism.")),
            (.command("b AUTHENTICATE CRAM-MD5"), tagged("b", .no, "Unsupported authentication mechanism.")),
            (.command("c AUTHENTICATE SCRAM-SHA-256-PLUS"), tagged("c", .no, "Unsupported authentication mechanism.")),
        ]),
        ("SCRAM-SHA-256, RFC 7677 §3, then the client acknowledges the server signature", [
            (.command("a AUTHENTICATE SCRAM-SHA-256"), .continueSASL([])),
            (.response(b64(RFC7677.clientFirst)), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials), challenge(RFC7677.serverFirst)),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: true)),
            (.credentialsVerified("user@example.org"), challenge(RFC7677.serverFinal)),
            (.response(""), .openAccount(user: "user@example.org")),
            (.accountOpened, loggedIn("a")),
        ]),
        ("SCRAM-SHA-256 with SASL-IR", [
            (.command("a AUTHENTICATE SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials), challenge(RFC7677.serverFirst)),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: true)),
            (.credentialsVerified("user@example.org"), challenge(RFC7677.serverFinal)),
            (.response(""), .openAccount(user: "user@example.org")),
        ]),
        ("SCRAM-SHA-256 wrong proof counts as a failed login", [
            (.command("a AUTHENTICATE SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(SCRAMCredentials.derive(password: "pencil!", salt: RFC7677.credentials.salt, iterations: 4096)!),
             challenge(RFC7677.serverFirst)),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: false)),
            (.credentialsVerified(nil), failed),
        ]),
        ("SCRAM-SHA-256 unknown user: the authenticator refuses even a verified proof", [
            (.command("a AUTHENTICATE SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials), challenge(RFC7677.serverFirst)),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: true)),
            (.credentialsVerified(nil), failed),
        ]),
        ("SCRAM-SHA-256 locked out before the lookup", [
            (.command("a AUTHENTICATE SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.loginRefused(.lockedOut), tagged("a", .no, .unavailable, "Too many failed logins, try again later.")),
        ]),
        ("SCRAM-SHA-256 channel binding required: refused before any lookup", [
            (.command("a AUTHENTICATE SCRAM-SHA-256 \(b64("p=tls-unique,,n=user,r=abc"))"), failed),
        ]),
        ("SCRAM-SHA-256 cancelled instead of acknowledging the signature", [
            (.command("a AUTHENTICATE SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials), challenge(RFC7677.serverFirst)),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: true)),
            (.credentialsVerified("user@example.org"), challenge(RFC7677.serverFinal)),
            (.response("*"), tagged("a", .bad, "Authentication aborted by client.")),
            (.command("b LIST \"\" *"), tagged("b", .bad, "Command not allowed before login.")),
        ]),
    ]

    @Test(arguments: dialogues)
    func dialogue(name: String, steps: [(Input, IMAPSession.Action)]) {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(maximumErrors: 10, plaintextAllowed: true))
        // The RFC's server nonce, so the rows reproduce its exchange (the server's is random).
        session.fixedServerNonceForTests = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        for (input, expected) in steps {
            let action: IMAPSession.Action
            switch input {
            case .command(let line): action = session.receive(IMAPFrame(bytes: Array(line.utf8)))
            case .response(let line): action = session.receive(IMAPFrame(bytes: Array(line.utf8)))
            case .credentialsVerified(let user): action = session.credentialsVerified(user)
            case .scramCredentials(let credentials): action = session.scramCredentialsFound(credentials)
            case .loginRefused(let refusal): action = session.loginRefused(refusal)
            case .accountOpened: action = session.accountOpened()
            }
            #expect(action == expected, "\(name): \(input)")
        }
    }

    /// Without TLS (and without the policy's exception) no login is accepted, SCRAM included,
    /// and CAPABILITY says LOGINDISABLED with no AUTH= (RFC 3501 §6.2.3).
    @Test(arguments: ["a LOGIN alice secret", "a AUTHENTICATE PLAIN", "a AUTHENTICATE SCRAM-SHA-256"])
    func noLoginWithoutTLS(command: String) {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(plaintextAllowed: false, starttlsAvailable: true))
        #expect(session.capabilities.contains("LOGINDISABLED"))
        #expect(!session.capabilities.contains { $0.hasPrefix("AUTH=") })
        #expect(session.receive(IMAPCommandParser.parse(command))
                == Self.tagged("a", .no, .privacyRequired, "Plaintext authentication disallowed on non-secure (SSL/TLS) connections."))
    }

    @Test func starttlsThenLogin() {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(plaintextAllowed: false, starttlsAvailable: true))
        #expect(session.receive(IMAPCommandParser.parse("s STARTTLS")) == .startTLS(.tagged("s", IMAPStatus(.ok, "Begin TLS negotiation now."))))
        session = session.afterTLSHandshake()
        #expect(!session.capabilities.contains("STARTTLS"))
        #expect(!session.capabilities.contains("LOGINDISABLED"))
        #expect(session.capabilities.contains("AUTH=PLAIN"))
        #expect(session.receive(IMAPCommandParser.parse("s2 STARTTLS")) == Self.tagged("s2", .bad, "TLS is already active."))
        #expect(session.receive(IMAPCommandParser.parse("l LOGIN alice secret"))
                == .verifyCredentials(user: "alice", password: "secret", method: .login))
    }

    @Test func starttlsNotOfferedWithoutACertificate() {
        var session = IMAPSession(configuration: IMAPSessionConfiguration(plaintextAllowed: true, starttlsAvailable: false))
        #expect(!session.capabilities.contains("STARTTLS"))
        #expect(session.receive(IMAPCommandParser.parse("s STARTTLS")) == Self.tagged("s", .bad, "TLS support isn't enabled."))
    }

    @Test func loginMethodLogNames() {
        #expect(IMAPLoginMethod.login.logName == "LOGIN")
        #expect(IMAPLoginMethod.sasl(.scramSHA256).logName == "SCRAM-SHA-256")
    }
}
