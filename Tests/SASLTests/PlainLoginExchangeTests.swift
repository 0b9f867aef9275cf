import Testing
@testable import SASL

@Suite("SASL PLAIN and LOGIN exchanges")
struct PlainLoginExchangeTests {
    /// (initial response, later lines, the steps in order). Lines are base64 unless noted.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var mechanism: SASLMechanism
        var initial: [UInt8]?
        var lines: [[UInt8]]
        var steps: [SASLStep]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "PLAIN with initial response", mechanism: .plain, initial: b64("\0alice@x\0secret"), lines: [],
             steps: [.verifyPassword(username: "alice@x", password: "secret")]),
        Case(name: "PLAIN without initial response: an empty challenge", mechanism: .plain, initial: nil,
             lines: [b64("\0alice@x\0secret")],
             steps: [.challenge([]), .verifyPassword(username: "alice@x", password: "secret")]),
        Case(name: "PLAIN with '=' (RFC 4954 §4: empty initial response) asks like none", mechanism: .plain,
             initial: Array("=".utf8), lines: [b64("\0alice@x\0secret")],
             steps: [.challenge([]), .verifyPassword(username: "alice@x", password: "secret")]),
        Case(name: "PLAIN authzid equal to the login, another case", mechanism: .plain,
             initial: b64("ALICE@X\0alice@x\0secret"), lines: [],
             steps: [.verifyPassword(username: "alice@x", password: "secret")]),
        Case(name: "PLAIN authzid of another user is rejected", mechanism: .plain,
             initial: b64("bob@x\0alice@x\0secret"), lines: [], steps: [.failed(.rejected, username: "alice@x")]),
        Case(name: "PLAIN password may hold spaces and non-ASCII", mechanism: .plain,
             initial: b64("\0alice@x\0p\u{E4}ss word"), lines: [],
             steps: [.verifyPassword(username: "alice@x", password: "p\u{E4}ss word")]),
        Case(name: "PLAIN missing password", mechanism: .plain, initial: b64("\0alice@x"), lines: [],
             steps: [.failed(.malformed, username: nil)]),
        Case(name: "PLAIN empty answer to the challenge", mechanism: .plain, initial: nil, lines: [[]],
             steps: [.challenge([]), .failed(.malformed, username: nil)]),
        Case(name: "PLAIN name over 255 octets", mechanism: .plain,
             initial: b64("\0" + String(repeating: "a", count: 256) + "\0pw"), lines: [],
             steps: [.failed(.malformed, username: nil)]),
        Case(name: "PLAIN not base64", mechanism: .plain, initial: Array("not base64!".utf8), lines: [],
             steps: [.failed(.notBase64, username: nil)]),
        Case(name: "PLAIN cancelled", mechanism: .plain, initial: nil, lines: [Array("*".utf8)],
             steps: [.challenge([]), .failed(.cancelled, username: nil)]),

        Case(name: "LOGIN asks Username: then Password:", mechanism: .login, initial: nil,
             lines: [b64("alice@x"), b64("secret")],
             steps: [.challenge(Array("Username:".utf8)), .challenge(Array("Password:".utf8)),
                     .verifyPassword(username: "alice@x", password: "secret")]),
        Case(name: "LOGIN with the name inline after AUTH LOGIN (mjl-/mox#387)", mechanism: .login,
             initial: b64("alice@x"), lines: [b64("secret")],
             steps: [.challenge(Array("Password:".utf8)), .verifyPassword(username: "alice@x", password: "secret")]),
        Case(name: "LOGIN with '=' asks for the name", mechanism: .login, initial: Array("=".utf8),
             lines: [b64("alice@x"), b64("secret")],
             steps: [.challenge(Array("Username:".utf8)), .challenge(Array("Password:".utf8)),
                     .verifyPassword(username: "alice@x", password: "secret")]),
        Case(name: "LOGIN cancelled at the password names the user", mechanism: .login, initial: b64("alice@x"),
             lines: [Array("*".utf8)],
             steps: [.challenge(Array("Password:".utf8)), .failed(.cancelled, username: "alice@x")]),
        Case(name: "LOGIN empty name", mechanism: .login, initial: nil, lines: [[]],
             steps: [.challenge(Array("Username:".utf8)), .failed(.malformed, username: nil)]),
        Case(name: "LOGIN empty password", mechanism: .login, initial: b64("alice@x"), lines: [[]],
             steps: [.challenge(Array("Password:".utf8)), .failed(.malformed, username: "alice@x")]),
        Case(name: "LOGIN NUL in the name", mechanism: .login, initial: b64("ali\0ce"), lines: [],
             steps: [.failed(.malformed, username: nil)]),
        Case(name: "LOGIN password not UTF-8", mechanism: .login, initial: b64("alice@x"), lines: [b64([0xFF, 0xFE])],
             steps: [.challenge(Array("Password:".utf8)), .failed(.malformed, username: "alice@x")]),
        Case(name: "LOGIN password bad base64", mechanism: .login, initial: b64("alice@x"), lines: [Array("c2Vj=mV0".utf8)],
             steps: [.challenge(Array("Password:".utf8)), .failed(.notBase64, username: "alice@x")]),
        Case(name: "LOGIN response longer than the bound", mechanism: .login, initial: nil,
             lines: [b64(String(repeating: "a", count: 4097))],
             steps: [.challenge(Array("Username:".utf8)), .failed(.malformed, username: nil)]),
    ]

    @Test(arguments: cases)
    func dialogue(_ testCase: Case) {
        var exchange = SASLServerExchange(mechanism: testCase.mechanism)
        var steps = [exchange.start(initialResponse: testCase.initial)]
        for line in testCase.lines { steps.append(exchange.receive(line)) }
        #expect(steps == testCase.steps)
    }

    /// The fuzzer keeps feeding after the end; so may a confused protocol session.
    @Test func feedingAFinishedExchangeFails() {
        var exchange = SASLServerExchange(mechanism: .login)
        _ = exchange.start(initialResponse: b64("alice@x"))
        #expect(exchange.receive(b64("secret")) == .verifyPassword(username: "alice@x", password: "secret"))
        #expect(exchange.receive(b64("again")) == .failed(.malformed, username: "alice@x"))
        // Found by FuzzSASL: "*" and bad base64 after the end were answered as if still open.
        #expect(exchange.receive(Array("*".utf8)) == .failed(.malformed, username: "alice@x"))
        #expect(exchange.receive(Array("!!".utf8)) == .failed(.malformed, username: "alice@x"))
        #expect(exchange.start(initialResponse: nil) == .failed(.malformed, username: "alice@x"))
        #expect(exchange.credentialsFound(SCRAMCredentials(salt: [1], iterations: 4096, storedKey: [], serverKey: []))
                == .failed(.malformed, username: "alice@x"))
    }

    @Test func receiveBeforeStartFails() {
        var exchange = SASLServerExchange(mechanism: .plain)
        #expect(exchange.receive(b64("\0a\0b")) == .failed(.malformed, username: nil))
        #expect(exchange.start(initialResponse: nil) == .failed(.malformed, username: nil))
    }
}
