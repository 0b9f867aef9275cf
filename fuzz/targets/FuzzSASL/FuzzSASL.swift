import FuzzSupport
import SASL

/// The SASL server exchanges and SASLprep, chosen by the first byte.
///
/// Exchanges (first byte mod 4 = 0, 1, 2 for SCRAM-SHA-256, PLAIN, LOGIN): the second byte
/// says whether the first line is an initial response and when to hand over credentials; the
/// rest is lines (split at LF) fed as client responses, also after the exchange ended.
/// - it never traps, whatever the order of calls;
/// - once an exchange ends (verifyPassword, succeeded, failed) every further step is
///   `.failed(.malformed, …)`;
/// - `.succeeded` comes only right after `.proofVerified`; `.verifyPassword` only from PLAIN
///   and LOGIN, with names and passwords within the bounds;
/// - challenges stay small (a server-first is the client's nonce, bounded, plus ours).
///
/// SASLprep (first byte mod 4 = 3): never traps; what it returns, prepared again, is itself.
func fuzzSASL(_ input: FuzzInput) {
    var input = input
    let selector = input.byte() % 4
    guard selector < 3 else { return fuzzSASLprep(input.rest()) }
    let mechanism: SASLMechanism = [.scramSHA256, .plain, .login][Int(selector)]
    let flags = input.byte()
    var lines = input.rest().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    var exchange = SASLServerExchange(mechanism: mechanism, serverNonce: flags & 2 == 0 ? nil : "3rfcNHYJY1ZVvWVs7j")
    var step = exchange.start(initialResponse: flags & 1 == 1 && !lines.isEmpty ? lines.removeFirst() : nil)
    var ended = false
    var previous: SASLStep?
    while true {
        check(step, after: previous, mechanism: mechanism, ended: ended)
        if isTerminal(step) { ended = true }
        previous = step
        if case .lookUpCredentials = step, flags & 4 == 0 {
            step = exchange.credentialsFound(fixedCredentials)
        } else if flags & 8 == 8, lines.first?.first == UInt8(ascii: "#") {
            // Credentials nobody asked for: must be refused, not trusted.
            lines.removeFirst()
            step = exchange.credentialsFound(fixedCredentials)
        } else if !lines.isEmpty {
            step = exchange.receive(lines.removeFirst())
        } else {
            break
        }
    }
}

/// "pencil" under the RFC 7677 §3 salt: an exchange that gets the proof right can succeed.
private let fixedCredentials = SCRAMCredentials.derive(
    password: "pencil", salt: [0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e, 0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36, 0xfa, 0x81],
    iterations: 4096)!

private func isTerminal(_ step: SASLStep) -> Bool {
    switch step {
    case .verifyPassword, .succeeded, .failed: return true
    case .challenge, .lookUpCredentials, .proofVerified: return false
    }
}

private func check(_ step: SASLStep, after previous: SASLStep?, mechanism: SASLMechanism, ended: Bool) {
    if ended {
        guard case .failed(.malformed, _) = step else { preconditionFailure("\(step) after the exchange ended") }
        return
    }
    switch step {
    case .challenge(let bytes):
        precondition(bytes.count <= 8192, "challenge of \(bytes.count) octets")
    case .verifyPassword(let username, let password):
        precondition(mechanism != .scramSHA256, "SCRAM asked to verify a password")
        precondition(!username.isEmpty && username.utf8.count <= 255 && !password.isEmpty && password.utf8.count <= 255,
                     "unbounded name or password")
    case .lookUpCredentials(let username), .proofVerified(let username, _):
        precondition(mechanism == .scramSHA256 && !username.isEmpty && username.utf8.count <= 255, "\(step) from \(mechanism)")
    case .succeeded:
        guard case .proofVerified = previous else { preconditionFailure("succeeded without a verified proof") }
    case .failed:
        break
    }
}

private func fuzzSASLprep(_ bytes: [UInt8]) {
    guard let text = String(validating: bytes, as: UTF8.self), let prepared = SASLprep.prepare(text) else { return }
    precondition(SASLprep.prepare(prepared) == prepared, "SASLprep is not idempotent on \(Array(text.unicodeScalars))")
}
