import ProtocolSupport
import SASL
import Testing
@testable import POP3Protocol

/// AUTH dialogues (RFC 5034) as tables: each row is what the client sends (a command, a SASL
/// response, or the handler's answer to an action) and the action the session returns.
@Suite("POP3 AUTH dialogues")
struct POP3SASLDialogueTests {
    enum Input: Sendable {
        case command(String)
        case response(String)  // a line after a "+" challenge
        case credentialsVerified(String?)
        case scramCredentials(SCRAMCredentials)
        case loginRefused(POP3Response)
    }

    static func b64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }
    static func challenge(_ text: String) -> POP3Session.Action { .continueSASL(Array(text.utf8)) }

    /// RFC 7677 §3: user "user", password "pencil".
    enum RFC7677 {
        static let credentials = SCRAMCredentials.derive(
            password: "pencil", salt: Base64.decode(Array("W22ZaJ0SNY7soEsUEjb6gQ==".utf8))!, iterations: 4096)!
        static let clientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        static let clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    }

    static let loginDialogues: [(String, [(Input, POP3Session.Action)])] = [
        ("LOGIN with challenges", [
            (.command("AUTH LOGIN"), challenge("Username:")),
            (.response(b64("alice@x")), challenge("Password:")),
            (.response(b64("secret")), .verifyCredentials(user: "alice@x", password: "secret", method: .sasl(.login))),
            (.credentialsVerified("alice@x"), .openMaildrop(user: "alice@x")),
        ]),
        ("LOGIN, lower case, the name inline (mjl-/mox#387)", [
            (.command("AUTH login \(b64("alice@x"))"), challenge("Password:")),
            (.response(b64("secret")), .verifyCredentials(user: "alice@x", password: "secret", method: .sasl(.login))),
            (.credentialsVerified(nil), .reply(.authenticationFailed)),
        ]),
        ("LOGIN cancelled", [
            (.command("AUTH LOGIN ="), challenge("Username:")),
            (.response("*"), .reply(.error("Authentication cancelled"))),
            (.command("NOOP"), .reply(.wrongState)),
        ]),
        ("LOGIN bad base64", [
            (.command("AUTH LOGIN"), challenge("Username:")),
            (.response("YWxp!2U="), .reply(.error("Invalid base64 in SASL response"))),
        ]),
        ("LOGIN locked out", [
            (.command("AUTH LOGIN \(b64("alice@x"))"), challenge("Password:")),
            (.response(b64("secret")), .verifyCredentials(user: "alice@x", password: "secret", method: .sasl(.login))),
            (.loginRefused(.lockedOut), .reply(.lockedOut)),
        ]),
    ]

    static let scramDialogues: [(String, [(Input, POP3Session.Action)])] = [
        ("SCRAM-SHA-256, RFC 7677 §3, then the client acknowledges the server signature", [
            (.command("AUTH SCRAM-SHA-256"), .continueSASL([])),
            (.response(b64(RFC7677.clientFirst)), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials),
             challenge("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: true)),
            (.credentialsVerified("user@example.org"), challenge("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")),
            (.response(""), .openMaildrop(user: "user@example.org")),
        ]),
        ("SCRAM-SHA-256 with the client-first as initial response", [
            (.command("AUTH scram-sha-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.loginRefused(.lockedOut), .reply(.lockedOut)),
        ]),
        ("SCRAM-SHA-256 wrong proof counts as a failed login", [
            (.command("AUTH SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(SCRAMCredentials.derive(password: "pencil!", salt: RFC7677.credentials.salt, iterations: 4096)!),
             challenge("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: false)),
            (.credentialsVerified(nil), .reply(.authenticationFailed)),
        ]),
        ("SCRAM-SHA-256 unknown user: the authenticator refuses even a verified proof", [
            (.command("AUTH SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials),
             challenge("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: true)),
            (.credentialsVerified(nil), .reply(.authenticationFailed)),
        ]),
        ("SCRAM-SHA-256 channel binding required: refused before any lookup", [
            (.command("AUTH SCRAM-SHA-256 \(b64("p=tls-unique,,n=user,r=abc"))"), .reply(.authenticationFailed)),
        ]),
        ("SCRAM-SHA-256 cancelled after the server-first", [
            (.command("AUTH SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials),
             challenge("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
            (.response("*"), .reply(.error("Authentication cancelled"))),
        ]),
        ("SCRAM-SHA-256 cancelled instead of acknowledging the signature", [
            (.command("AUTH SCRAM-SHA-256 \(b64(RFC7677.clientFirst))"), .lookUpSCRAMCredentials(user: "user")),
            (.scramCredentials(RFC7677.credentials),
             challenge("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")),
            (.response(b64(RFC7677.clientFinal)), .finishSCRAM(user: "user", proofVerified: true)),
            (.credentialsVerified("user@example.org"), challenge("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")),
            (.response("*"), .reply(.error("Authentication cancelled"))),
            (.command("STAT"), .reply(.wrongState)),
        ]),
        ("SCRAM-SHA-256 malformed client-first", [
            (.command("AUTH SCRAM-SHA-256 \(b64("n,,r=abc"))"), .reply(.authenticationFailed)),
        ]),
        ("unknown mechanism", [
            (.command("AUTH CRAM-MD5"), .reply(.error("Unsupported authentication mechanism"))),
            (.command("AUTH SCRAM-SHA-256-PLUS"), .reply(.error("Unsupported authentication mechanism"))),
        ]),
    ]

    @Test(arguments: loginDialogues + scramDialogues)
    func dialogue(name: String, steps: [(Input, POP3Session.Action)]) {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 10, plaintextAllowed: true))
        // The RFC's server nonce, so the rows reproduce its exchange (the server's is random).
        session.fixedServerNonceForTests = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
        for (input, expected) in steps {
            let action: POP3Session.Action
            switch input {
            case .command(let line): action = session.receive(POP3CommandParser.parse(Array(line.utf8)))
            case .response(let line): action = session.receiveSASLResponse(Array(line.utf8))
            case .credentialsVerified(let user): action = session.credentialsVerified(user)
            case .scramCredentials(let credentials): action = session.scramCredentialsFound(credentials)
            case .loginRefused(let response): action = session.loginRefused(response)
            }
            #expect(action == expected, "\(name): \(input)")
        }
    }

    @Test func bareAuthListsEveryMechanismScramFirst() {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 10, plaintextAllowed: true))
        #expect(session.receive(.auth(mechanism: nil, initialResponse: nil))
                == .replyLines(.ok("Supported mechanisms follow"), ["SCRAM-SHA-256", "PLAIN", "LOGIN"]))
    }

    /// Without TLS (and without the loopback exception) no mechanism is offered or accepted,
    /// SCRAM included: one rule for every login.
    @Test(arguments: ["AUTH SCRAM-SHA-256", "AUTH LOGIN", "AUTH PLAIN"])
    func noMechanismWithoutTLS(command: String) {
        var session = POP3Session(configuration: POP3SessionConfiguration(maximumErrors: 10, plaintextAllowed: false))
        #expect(session.receive(POP3CommandParser.parse(Array(command.utf8))) == .reply(.plaintextDisallowed))
        #expect(session.receive(.auth(mechanism: nil, initialResponse: nil)) == .replyLines(.ok("Supported mechanisms follow"), []))
    }
}
