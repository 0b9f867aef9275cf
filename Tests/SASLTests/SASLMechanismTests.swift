import Testing
@testable import SASL

@Suite("SASL mechanism names")
struct SASLMechanismTests {
    @Test(arguments: [
        ("SCRAM-SHA-256", SASLMechanism.scramSHA256), ("scram-sha-256", .scramSHA256), ("Scram-Sha-256", .scramSHA256),
        ("PLAIN", .plain), ("plain", .plain), ("pLaIn", .plain), ("LOGIN", .login), ("login", .login),
    ])
    func namesMatchWithoutASCIICase(name: String, mechanism: SASLMechanism) {
        #expect(SASLMechanism(name: name) == mechanism)
    }

    /// RFC 4422 §3.1 names are ASCII; Unicode case mapping would turn U+017F (long s) into "S"
    /// and U+0131 (dotless i) into "I".
    @Test(arguments: ["\u{17F}CRAM-SHA-256", "LOG\u{131}N", "plai\u{131}n", "PLAIN ", "", "CRAM-MD5",
                      "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1", "PLAIN\0"])
    func refusesOtherNames(name: String) {
        #expect(SASLMechanism(name: name) == nil)
    }

    @Test func substringsWork() {
        let line = "AUTH login"
        #expect(SASLMechanism(name: line.split(separator: " ")[1]) == .login)
    }
}
