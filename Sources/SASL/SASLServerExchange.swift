import Crypto
import ProtocolSupport

/// Why an exchange ended without authenticating anyone. Each protocol words it (SMTP, RFC 4954
/// §4 and §6: `*` → 501 5.0.0, bad base64 → 501 5.5.2, `.rejected` → 535 5.7.8).
public enum SASLFailure: Error, Sendable, Equatable {
    /// The client sent `*` (RFC 4422 §3.5).
    case cancelled
    /// A response that is not base64.
    case notBase64
    /// Decoded, but not what the mechanism allows (missing fields, bad SCRAM syntax, a nonce
    /// that does not continue ours, NUL in a name, over-long values), or a step the exchange
    /// was not waiting for (a response after the end, `start` twice).
    case malformed
    /// Credentials refused: an authorization identity other than the login, SCRAM's GS2 flag
    /// `p` (channel binding, which Tsubame does not offer), or a wrong SCRAM proof. A wrong
    /// proof counts as a failed login for the throttle, like a wrong password.
    case rejected
}

/// What the protocol session must do next in a SASL exchange.
public enum SASLStep: Sendable, Equatable {
    /// Send this challenge (raw octets: the protocol base64-encodes them, SMTP `334 `, POP3 and
    /// IMAP `+ `) and pass the client's next line to `receive(_:)`.
    case challenge([UInt8])
    /// PLAIN and LOGIN: check this password through the authenticator. The exchange is over;
    /// the answer is the protocol's (235 / 535 / 454).
    case verifyPassword(username: String, password: String)
    /// SCRAM: fetch the user's stored credentials (made-up ones for an unknown user, so the
    /// exchange looks the same) and pass them to `credentialsFound(_:)`.
    case lookUpCredentials(username: String)
    /// SCRAM: the client's proof checked out. Tell the authenticator (it counts the success),
    /// then send `serverFinal` as a challenge (RFC 4954 §4: data with success goes in a 334)
    /// and pass the client's (empty) answer to `receive(_:)`, which returns `.succeeded`.
    case proofVerified(username: String, serverFinal: [UInt8])
    /// SCRAM: the client acknowledged the server's signature; authenticated.
    case succeeded(username: String)
    /// The exchange is over without success. `username` is known when the client got as far
    /// as naming one (for the log and the throttle).
    case failed(SASLFailure, username: String?)
}

/// The server side of one SASL exchange, protocol-independent and pure: no I/O, no clock.
/// The random SCRAM server nonce comes from the system's generator unless a test supplies one.
///
/// Every step the exchange is not waiting for (a response after it ended, `start` twice,
/// credentials nobody asked for) ends it with `.failed(.malformed, …)`; it never traps.
public struct SASLServerExchange: Sendable, Equatable {
    public let mechanism: SASLMechanism

    enum State: Sendable, Equatable {
        case notStarted
        case plainAwaitingResponse
        case loginAwaitingUsername
        case loginAwaitingPassword(username: String)
        case scramAwaitingClientFirst
        case scramAwaitingCredentials(SCRAMClientFirst)
        case scramAwaitingClientFinal(SCRAMClientFirst, serverFirst: String, nonce: String, SCRAMCredentials)
        case scramAwaitingAcknowledgement(username: String)
        case finished(username: String?)
    }

    private var state = State.notStarted
    private let serverNonce: String?

    /// `serverNonce` is the part the server appends to the client's nonce; tests pass one to
    /// reproduce a transcript. It must be printable ASCII without ',' (RFC 5802 §7).
    public init(mechanism: SASLMechanism, serverNonce: String? = nil) {
        self.mechanism = mechanism
        self.serverNonce = serverNonce
    }

    /// `initialResponse` as sent with the command (RFC 4954 §4: base64, `=` for an empty
    /// response), or nil when there was none.
    public mutating func start(initialResponse: [UInt8]?) -> SASLStep {
        guard case .notStarted = state else { return outOfOrder() }
        // RFC 4954 §4: "=" is an empty initial response: like none, the server speaks first.
        let response = initialResponse == [UInt8(ascii: "=")] ? nil : initialResponse
        switch mechanism {
        case .plain:
            state = .plainAwaitingResponse
        case .login:
            state = .loginAwaitingUsername
            // Devices send the user name right after "AUTH LOGIN" (mjl-/mox#387).
            if response == nil { return .challenge(Self.usernameChallenge) }
        case .scramSHA256:
            state = .scramAwaitingClientFirst
        }
        guard let response else { return .challenge([]) }
        return receive(response)
    }

    /// One response line from the client (base64, or `*` to cancel).
    public mutating func receive(_ line: [UInt8]) -> SASLStep {
        // Before decoding: after the end even "*" or bad base64 is out of order.
        switch state {
        case .notStarted, .scramAwaitingCredentials, .finished: return outOfOrder()
        default: break
        }
        let decoded: [UInt8]
        switch SASLResponse.decode(line) {
        case .success(let bytes): decoded = bytes
        case .failure(let failure): return finish(.failed(failure, username: knownUsername))
        }
        switch state {
        case .plainAwaitingResponse:
            return finish(plain(decoded))
        case .loginAwaitingUsername:
            guard let username = Self.text(decoded) else { return finish(.failed(.malformed, username: nil)) }
            state = .loginAwaitingPassword(username: username)
            return .challenge(Self.passwordChallenge)
        case .loginAwaitingPassword(let username):
            guard let password = Self.text(decoded) else { return finish(.failed(.malformed, username: username)) }
            return finish(.verifyPassword(username: username, password: password))
        case .scramAwaitingClientFirst:
            return scramClientFirst(decoded)
        case .scramAwaitingClientFinal(let first, let serverFirst, let nonce, let credentials):
            return finish(scramClientFinal(decoded, first: first, serverFirst: serverFirst, nonce: nonce,
                                           credentials: credentials))
        case .scramAwaitingAcknowledgement(let username):
            // RFC 5802 §5: the client has nothing more to say; RFC 4954 §4: it answers empty.
            return finish(decoded.isEmpty ? .succeeded(username: username) : .failed(.malformed, username: username))
        case .notStarted, .scramAwaitingCredentials, .finished:
            return outOfOrder()
        }
    }

    /// After `.lookUpCredentials`.
    public mutating func credentialsFound(_ credentials: SCRAMCredentials) -> SASLStep {
        guard case .scramAwaitingCredentials(let first) = state else { return outOfOrder() }
        let nonce = first.clientNonce + (serverNonce ?? Self.randomNonce())
        // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
        let serverFirst = "r=\(nonce),s=\(Base64.encode(credentials.salt)),i=\(credentials.iterations)"
        state = .scramAwaitingClientFinal(first, serverFirst: serverFirst, nonce: nonce, credentials)
        return .challenge(Array(serverFirst.utf8))
    }

    /// True while a SCRAM client-final (the proof) is expected: a `.rejected` answer to it is a
    /// wrong proof, which a protocol counts as a failed login.
    public var awaitsClientFinal: Bool {
        if case .scramAwaitingClientFinal = state { return true }
        return false
    }

    // MARK: Mechanisms

    static let usernameChallenge = Array("Username:".utf8)
    static let passwordChallenge = Array("Password:".utf8)

    private func plain(_ decoded: [UInt8]) -> SASLStep {
        guard case .success(let credentials) = SASLPlainCredentials.parse(decoded: decoded) else {
            return .failed(.malformed, username: nil)
        }
        let username = credentials.authenticationIdentity
        // Tsubame has no proxy authorisation: an authzid must name the same user (RFC 4616 §2).
        if let authzid = credentials.authorizationIdentity, !Self.sameName(authzid, username) {
            return .failed(.rejected, username: username)
        }
        return .verifyPassword(username: username, password: credentials.password)
    }

    private mutating func scramClientFirst(_ decoded: [UInt8]) -> SASLStep {
        guard let text = String(validating: decoded, as: UTF8.self), let first = SCRAMClientFirst.parse(text) else {
            return finish(.failed(.malformed, username: nil))
        }
        // RFC 5802 §6: "p" asks for channel binding, which no mechanism offered here has.
        if first.channelBinding == .required { return finish(.failed(.rejected, username: first.username)) }
        if let authzid = first.authorizationIdentity, !Self.sameName(authzid, first.username) {
            return finish(.failed(.rejected, username: first.username))
        }
        state = .scramAwaitingCredentials(first)
        return .lookUpCredentials(username: first.username)
    }

    private mutating func scramClientFinal(_ decoded: [UInt8], first: SCRAMClientFirst, serverFirst: String,
                                           nonce: String, credentials: SCRAMCredentials) -> SASLStep {
        let username = first.username
        // c= is the GS2 header itself, base64 ("biws" for "n,,"), since no binding data follows
        // (RFC 5802 §7: cbind-input); r= repeats the combined nonce (§5.1).
        guard let text = String(validating: decoded, as: UTF8.self), let final = SCRAMClientFinal.parse(text),
              final.channelBinding == Array(first.gs2Header.utf8), final.nonce == nonce else {
            return .failed(.malformed, username: username)
        }
        let authMessage = Array((first.bare + "," + serverFirst + "," + final.withoutProof).utf8)
        guard SCRAMVerification.verify(proof: final.proof, authMessage: authMessage, credentials: credentials) else {
            return .failed(.rejected, username: username)
        }
        state = .scramAwaitingAcknowledgement(username: username)
        let signature = SCRAMVerification.serverSignature(authMessage: authMessage, credentials: credentials)
        return .proofVerified(username: username, serverFinal: Array("v=\(Base64.encode(signature))".utf8))
    }

    // MARK: Helpers

    /// Keeps the exchange open for `.proofVerified`; any other outcome ends it.
    private mutating func finish(_ step: SASLStep) -> SASLStep {
        switch step {
        case .proofVerified, .challenge, .lookUpCredentials: break
        case .verifyPassword(let username, _), .succeeded(let username): state = .finished(username: username)
        case .failed(_, let username): state = .finished(username: username)
        }
        return step
    }

    private mutating func outOfOrder() -> SASLStep {
        finish(.failed(.malformed, username: knownUsername))
    }

    private var knownUsername: String? {
        switch state {
        case .loginAwaitingPassword(let username), .scramAwaitingAcknowledgement(let username): return username
        case .scramAwaitingCredentials(let first), .scramAwaitingClientFinal(let first, _, _, _): return first.username
        case .finished(let username): return username
        case .notStarted, .plainAwaitingResponse, .loginAwaitingUsername, .scramAwaitingClientFirst: return nil
        }
    }

    /// LOGIN's name and password: non-empty UTF-8 without NUL, at most 255 octets.
    private static func text(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, bytes.count <= SASLLimits.maximumNameOctets, !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Addresses compare without ASCII case, as the directory looks them up.
    private static func sameName(_ a: String, _ b: String) -> Bool {
        func fold(_ s: String) -> [UInt8] { s.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 } }
        return fold(a) == fold(b)
    }

    private static func randomNonce() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<SASLLimits.serverNonceLength).map { _ in alphabet.randomElement(using: &generator)! }
        return String(decoding: characters, as: UTF8.self)
    }
}
