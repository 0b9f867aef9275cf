import ProtocolSupport
import SASL

/// The IMAP server session as a pure state machine (RFC 3501 §3): not authenticated →
/// authenticated ⇄ selected → logout. It answers what needs no mailbox itself (CAPABILITY,
/// ID, ENABLE, NAMESPACE, LOGOUT, the login dialogues, STARTTLS, IDLE's frame) and hands every
/// command of the authenticated and selected states to the mailbox layer, which knows whether
/// something is selected. The channel handler executes the actions it returns.
public struct IMAPSession: Sendable {
    public enum State: Sendable, Equatable {
        case notAuthenticated
        /// A `+ ` challenge was sent; the next line is the client's SASL response
        /// (RFC 3501 §6.2.2). `mailbox` is set once a SCRAM proof was accepted and only the
        /// client's acknowledgement of the server signature is missing.
        case authenticating(tag: String, SASLServerExchange, method: IMAPLoginMethod, mailbox: String?)
        /// SCRAM: the user's stored keys are being fetched.
        case lookingUpCredentials(tag: String, SASLServerExchange)
        /// SCRAM: the authenticator is counting the proof's verdict.
        case confirmingProof(tag: String, SASLServerExchange, serverFinal: [UInt8]?)
        case verifyingCredentials(tag: String, method: IMAPLoginMethod)
        /// The credentials were good; the mail store opens the account.
        case openingAccount(tag: String, user: String)
        /// Authenticated; `selected` is what the mailbox layer last reported.
        case authenticated(selected: Bool)
        /// A command is with the mailbox layer (`mailboxCommandFinished(selected:)`).
        case runningMailboxCommand(selected: Bool)
        /// IDLE (RFC 2177): the next line must be `DONE`.
        case idling(tag: String, selected: Bool)
        case logout
    }

    public enum Action: Sendable, Equatable {
        /// Write these responses; the session goes on.
        case send([IMAPResponse])
        /// Write a SASL challenge: `+ ` and the octets in base64 (RFC 3501 §6.2.2).
        case continueSASL([UInt8])
        /// Write the tagged OK, then start TLS before reading anything more; input already
        /// buffered behind STARTTLS is an injection attempt: close instead (RFC 3501 §6.2.1).
        case startTLS(IMAPResponse)
        /// LOGIN or PLAIN: check the password; answer with `credentialsVerified(_:)` or
        /// `loginRefused(_:)`.
        case verifyCredentials(user: String, password: String, method: IMAPLoginMethod)
        /// SCRAM: fetch the user's keys (made-up ones for an unknown user); answer with
        /// `scramCredentialsFound(_:)` or `loginRefused(_:)`.
        case lookUpSCRAMCredentials(user: String)
        /// SCRAM: tell the authenticator whether the proof verified; answer with
        /// `credentialsVerified(_:)`.
        case finishSCRAM(user: String, proofVerified: Bool)
        /// Open the user's mail (and check the per-user connection bound); answer with
        /// `accountOpened()` or `loginRefused(_:)`.
        case openAccount(user: String)
        /// Hand the command to the mailbox layer, write what it produces, then call
        /// `mailboxCommandFinished(selected:)`.
        case runMailboxCommand(IMAPTaggedCommand)
        /// IDLE began: write `+ idling` and push updates until `DONE`.
        case startIdle(IMAPResponse)
        /// IDLE ended: write the remaining updates, then this (the tagged OK, or BAD when the
        /// line was not DONE).
        case finishIdle(IMAPResponse)
        /// Write these responses (the last a `* BYE`, or LOGOUT's tagged OK), then close.
        case close([IMAPResponse])
    }

    public let configuration: IMAPSessionConfiguration
    public private(set) var state = State.notAuthenticated
    public private(set) var errorCount = 0
    /// Tests only: the SCRAM server nonce, to reproduce a published exchange.
    var fixedServerNonceForTests: String?

    public init(configuration: IMAPSessionConfiguration) {
        self.configuration = configuration
    }

    /// RFC 3501 §7.1.1: the greeting, with the capabilities so clients need not ask
    /// (never PREAUTH: every connection logs in).
    public var greeting: IMAPResponse {
        .untagged(.status(IMAPStatus(.ok, code: .capability(capabilities), "Tsubame ready.")))
    }

    /// The next frame is a SASL response, not a command.
    public var expectsSASLResponse: Bool {
        if case .authenticating = state { return true }
        return false
    }

    public var isIdling: Bool {
        if case .idling = state { return true }
        return false
    }

    public var isAuthenticated: Bool {
        switch state {
        case .authenticated, .runningMailboxCommand, .idling: return true
        default: return false
        }
    }

    /// The bounds for the framer now: before login a literal is never streamed and stays
    /// small (a password or a SASL response, never a message), and commands are short, so an
    /// unauthenticated client cannot make the server hold or write much (RFC 7889 §5).
    public var framerLimits: IMAPLimits {
        if isAuthenticated { return IMAPLimits(appendLimit: configuration.appendLimit) }
        return Self.unauthenticatedLimits
    }

    static let unauthenticatedLimits = IMAPLimits(
        maximumLineLength: IMAPLimits.minimumLineLength, maximumCommandSize: 16_384,
        inlineLiteralThreshold: 8_192, appendLimit: 8_192, maximumLiteralCount: 4, maximumNestingDepth: 8)

    // MARK: Input

    /// A complete frame from the framer: a command, a SASL response, or IDLE's `DONE`.
    public mutating func receive(_ frame: IMAPFrame) -> Action {
        switch state {
        case .authenticating:
            return receiveSASLResponse(frame.bytes)
        case .idling(let tag, let selected):
            state = .authenticated(selected: selected)
            // RFC 2177 §3: only DONE ends IDLE; anything else is a protocol error.
            guard IMAPCommandParser.isIdleDone(frame) else {
                return finishIdleWithError(tag: tag)
            }
            return .finishIdle(.tagged(tag, IMAPStatus(.ok, "Idle completed.")))
        default:
            return receive(IMAPCommandParser.parse(frame, limits: framerLimits))
        }
    }

    public mutating func receive(_ parsed: Result<IMAPTaggedCommand, IMAPCommandError>) -> Action {
        switch parsed {
        case .failure(let error): return bad(error.response)
        case .success(let command): return receive(command)
        }
    }

    /// The framer dropped a command (`.refused`): an oversize literal is NO [TOOBIG], the
    /// others BAD [LIMIT]; each counts as an error.
    public mutating func receiveRefusal(_ error: IMAPFramingError, tag: String?) -> Action {
        bad(error.refusal(tag: tag))
    }

    /// The framer cannot go on (`.fatal`): BAD, BYE, close.
    public mutating func receiveFatal(_ error: IMAPFramingError, tag: String?) -> Action {
        state = .logout
        return .close(error.fatalResponses(tag: tag))
    }

    public mutating func receive(_ tagged: IMAPTaggedCommand) -> Action {
        let tag = tagged.tag
        switch (tagged.command, state) {
        // Any state (RFC 3501 §6.1)
        case (.capability, _):
            return .send([.untagged(.capability(capabilities)), ok(tag, "Capability completed.")])
        case (.logout, _):
            state = .logout
            return .close([.untagged(.bye(nil, "Logging out")), ok(tag, "Logout completed.")])
        case (.noop, .notAuthenticated):
            return .send([ok(tag, "NOOP completed.")])
        // ID is allowed in any state (RFC 2971 §3.1).
        case (.id, _):
            return .send([.untagged(.id([IMAPIDField(name: "name", value: "Tsubame")])), ok(tag, "ID completed.")])

        // Not authenticated (§6.2)
        case (.starttls, .notAuthenticated):
            guard !configuration.tlsActive else { return bad(.tagged(tag, IMAPStatus(.bad, "TLS is already active."))) }
            guard configuration.starttlsAvailable else {
                return bad(.tagged(tag, IMAPStatus(.bad, "TLS support isn't enabled.")))
            }
            state = .logout  // nothing more is read in plaintext
            return .startTLS(ok(tag, "Begin TLS negotiation now."))
        case (.login(let user, let password), .notAuthenticated):
            // §6.2.3: LOGINDISABLED forbids LOGIN; RFC 5530 PRIVACYREQUIRED says why.
            guard configuration.plaintextAllowed else { return privacyRequired(tag) }
            state = .verifyingCredentials(tag: tag, method: .login)
            return .verifyCredentials(user: String(decoding: user, as: UTF8.self),
                                      password: String(decoding: password, as: UTF8.self), method: .login)
        case (.authenticate(let mechanism, let initialResponse), .notAuthenticated):
            return beginAuthentication(tag: tag, mechanism: mechanism, initialResponse: initialResponse)
        case (.starttls, _), (.login, _), (.authenticate, _):
            return bad(.tagged(tag, IMAPStatus(.bad, "Already authenticated.")))

        // Authenticated (§6.3), answered here: nothing in them depends on a mailbox.
        case (.enable, .authenticated):
            // RFC 5161 §3.1: only extensions this server knows are enabled; none yet.
            return .send([.untagged(.enabled([])), ok(tag, "ENABLE completed.")])
        case (.namespace, .authenticated):
            // RFC 2342 §5: one personal namespace, Maildir++'s "." hierarchy, as Dovecot
            // answers with the Maildir layout and an empty prefix.
            let personal = [IMAPNamespace(prefix: "", delimiter: UInt8(ascii: "."))]
            return .send([.untagged(.namespace(personal: personal, otherUsers: nil, shared: nil)),
                          ok(tag, "Namespace completed.")])
        case (.idle, .authenticated(let selected)):
            state = .idling(tag: tag, selected: selected)
            return .startIdle(.continuation("idling"))
        case (_, .authenticated(let selected)):
            state = .runningMailboxCommand(selected: selected)
            return .runMailboxCommand(tagged)

        case (_, .notAuthenticated):
            return bad(.tagged(tag, IMAPStatus(.bad, "Command not allowed before login.")))
        default:
            // The handler reads no command while it works for the session; should one come
            // anyway, it is refused rather than trusted.
            return bad(.tagged(tag, IMAPStatus(.bad, "Command not allowed now.")))
        }
    }

    /// The client's answer to a challenge: base64, or `*` to cancel (RFC 3501 §6.2.2).
    public mutating func receiveSASLResponse(_ line: [UInt8]) -> Action {
        guard case .authenticating(let tag, var exchange, let method, let mailbox) = state else {
            preconditionFailure("no SASL exchange in progress")
        }
        state = .notAuthenticated
        let proofWasChecked = exchange.mechanism == .scramSHA256 && exchange.awaitsClientFinal
        return advance(exchange.receive(line), exchange, tag: tag, method: method, mailbox: mailbox,
                       proofWasChecked: proofWasChecked)
    }

    // MARK: Results of the handler's work

    /// The authenticator's answer: the mailbox logged in, or nil for a refusal (a wrong
    /// password and an unknown user get the same answer). After a verified SCRAM proof the
    /// server-final still goes out first, as a last challenge (RFC 4422 §3.6).
    public mutating func credentialsVerified(_ user: String?) -> Action {
        switch (state, user) {
        case (.verifyingCredentials(let tag, _), let user?):
            state = .openingAccount(tag: tag, user: user)
            return .openAccount(user: user)
        case (.confirmingProof(let tag, let exchange, let serverFinal?), let user?):
            state = .authenticating(tag: tag, exchange, method: .sasl(.scramSHA256), mailbox: user)
            return .continueSASL(serverFinal)
        case (.verifyingCredentials(let tag, _), nil), (.confirmingProof(let tag, _, _), _):
            state = .notAuthenticated
            return authenticationFailed(tag)
        default:
            preconditionFailure("no credentials being verified")
        }
    }

    /// SCRAM: the keys the handler looked up (made-up ones for an unknown user).
    public mutating func scramCredentialsFound(_ credentials: SCRAMCredentials) -> Action {
        guard case .lookingUpCredentials(let tag, var exchange) = state else { preconditionFailure("no SCRAM lookup in progress") }
        state = .notAuthenticated
        return advance(exchange.credentialsFound(credentials), exchange, tag: tag, method: .sasl(.scramSHA256),
                       mailbox: nil, proofWasChecked: false)
    }

    /// The credentials were not checked (locked out, directory busy), or the account could not
    /// be opened: NO with RFC 5530's UNAVAILABLE, and the session stays unauthenticated.
    public mutating func loginRefused(_ refusal: IMAPLoginRefusal) -> Action {
        let tag: String
        switch state {
        case .verifyingCredentials(let current, _), .lookingUpCredentials(let current, _), .openingAccount(let current, _):
            tag = current
        default:
            preconditionFailure("no login in progress")
        }
        state = .notAuthenticated
        let text: String
        switch refusal {
        case .lockedOut: text = "Too many failed logins, try again later."
        case .unavailable: text = "Temporary authentication failure."
        case .tooManyUserConnections(let maximum):
            text = "Maximum number of connections from user+IP exceeded (max_user_connections_per_ip=\(maximum))"
        }
        return bad(.tagged(tag, IMAPStatus(.no, code: .unavailable, text)))
    }

    /// The account is open: the tagged OK carries the new capabilities (as Dovecot's does),
    /// so clients need not ask again (RFC 3501 §7.2.1 allows it in any tagged OK).
    public mutating func accountOpened() -> Action {
        guard case .openingAccount(let tag, _) = state else { preconditionFailure("no account being opened") }
        state = .authenticated(selected: false)
        return .send([.tagged(tag, IMAPStatus(.ok, code: .capability(capabilities), "Logged in"))])
    }

    /// The mailbox layer wrote its tagged response; `selected` is its selection now.
    public mutating func mailboxCommandFinished(selected: Bool) {
        guard case .runningMailboxCommand = state else { preconditionFailure("no mailbox command running") }
        state = .authenticated(selected: selected)
    }

    /// The session after a successful TLS handshake: not authenticated, passwords now allowed
    /// (RFC 3501 §6.2.1), STARTTLS no longer offered. The error count goes on.
    public func afterTLSHandshake() -> IMAPSession {
        var fresh = IMAPSession(configuration: IMAPSessionConfiguration(
            maximumErrors: configuration.maximumErrors, plaintextAllowed: true, starttlsAvailable: false,
            tlsActive: true, appendLimit: configuration.appendLimit))
        fresh.errorCount = errorCount
        fresh.fixedServerNonceForTests = fixedServerNonceForTests
        return fresh
    }

    // MARK: Capabilities

    /// CAPABILITY now (RFC 3501 §6.1.1): before login what logging in needs, after it what the
    /// mailbox layer speaks.
    public var capabilities: [String] {
        var list = ["IMAP4rev1", "SASL-IR", "LITERAL+", "ID", "ENABLE", "IDLE"]
        if isAuthenticated {
            list += ["NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "CHILDREN", "SPECIAL-USE", "LIST-EXTENDED",
                     "LIST-STATUS", "MULTIAPPEND", "APPENDLIMIT=\(configuration.appendLimit)"]
            return list
        }
        if configuration.starttlsAvailable && !configuration.tlsActive { list.append("STARTTLS") }
        if configuration.plaintextAllowed {
            list += Self.offeredMechanisms.map { "AUTH=\($0.rawValue)" }
        } else {
            // RFC 3501 §6.2.3. SCRAM is held back too, as POP3 and SMTP do (one rule for every
            // login, as Dovecot's disable_plaintext_auth): the user name would go in the clear.
            list.append("LOGINDISABLED")
        }
        return list
    }

    /// SCRAM first, the one that never shows the password. LOGIN (the SASL mechanism) is not
    /// offered: IMAP has its own LOGIN command.
    static let offeredMechanisms: [SASLMechanism] = [.scramSHA256, .plain]

    // MARK: Internals

    private mutating func beginAuthentication(tag: String, mechanism: String, initialResponse: [UInt8]?) -> Action {
        guard let mechanism = SASLMechanism(name: mechanism), Self.offeredMechanisms.contains(mechanism) else {
            return bad(.tagged(tag, IMAPStatus(.no, "Unsupported authentication mechanism.")))
        }
        guard configuration.plaintextAllowed else { return privacyRequired(tag) }
        var exchange = SASLServerExchange(mechanism: mechanism, serverNonce: fixedServerNonceForTests)
        // RFC 4959 §3: "=" is an empty initial response; the exchange takes "=" for that.
        let response = initialResponse.map { $0.isEmpty ? [UInt8(ascii: "=")] : $0 }
        return advance(exchange.start(initialResponse: response), exchange, tag: tag, method: .sasl(mechanism),
                       mailbox: nil, proofWasChecked: false)
    }

    /// Turns an exchange's step into the session's next state and action. `proofWasChecked`:
    /// the step answers a SCRAM client-final, so a rejection is a wrong proof, which counts as
    /// a failed login.
    private mutating func advance(_ step: SASLStep, _ exchange: SASLServerExchange, tag: String,
                                  method: IMAPLoginMethod, mailbox: String?, proofWasChecked: Bool) -> Action {
        switch step {
        case .challenge(let bytes):
            state = .authenticating(tag: tag, exchange, method: method, mailbox: nil)
            return .continueSASL(bytes)
        case .verifyPassword(let username, let password):
            state = .verifyingCredentials(tag: tag, method: method)
            return .verifyCredentials(user: username, password: password, method: method)
        case .lookUpCredentials(let username):
            state = .lookingUpCredentials(tag: tag, exchange)
            return .lookUpSCRAMCredentials(user: username)
        case .proofVerified(let username, let serverFinal):
            state = .confirmingProof(tag: tag, exchange, serverFinal: serverFinal)
            return .finishSCRAM(user: username, proofVerified: true)
        case .succeeded:
            guard let mailbox else {  // cannot happen: .succeeded follows .proofVerified only
                state = .notAuthenticated
                return authenticationFailed(tag)
            }
            state = .openingAccount(tag: tag, user: mailbox)
            return .openAccount(user: mailbox)
        case .failed(.rejected, let username?) where proofWasChecked:
            state = .confirmingProof(tag: tag, exchange, serverFinal: nil)
            return .finishSCRAM(user: username, proofVerified: false)
        case .failed(let failure, _):
            state = .notAuthenticated
            switch failure {
            case .cancelled: return bad(.tagged(tag, IMAPStatus(.bad, "Authentication aborted by client.")))
            case .notBase64: return bad(.tagged(tag, IMAPStatus(.bad, "Invalid base64 data in continued response")))
            case .malformed, .rejected: return authenticationFailed(tag)
            }
        }
    }

    private func ok(_ tag: String, _ text: String) -> IMAPResponse {
        .tagged(tag, IMAPStatus(.ok, text))
    }

    /// RFC 5530 AUTHENTICATIONFAILED, one text for a wrong password and an unknown user.
    private mutating func authenticationFailed(_ tag: String) -> Action {
        bad(.tagged(tag, IMAPStatus(.no, code: .authenticationFailed, "Authentication failed.")))
    }

    private mutating func privacyRequired(_ tag: String) -> Action {
        bad(.tagged(tag, IMAPStatus(.no, code: .privacyRequired,
                                     "Plaintext authentication disallowed on non-secure (SSL/TLS) connections.")))
    }

    /// IDLE got something other than DONE: BAD, counted.
    private mutating func finishIdleWithError(tag: String) -> Action {
        let response = IMAPResponse.tagged(tag, IMAPStatus(.bad, "Expected DONE."))
        if case .close(let responses) = bad(response) { return .close(responses) }
        return .finishIdle(response)
    }

    /// Answers a failure and counts it; at the limit the session ends with `* BYE`, as
    /// Dovecot's "Too many invalid IMAP commands".
    private mutating func bad(_ response: IMAPResponse) -> Action {
        errorCount += 1
        if errorCount >= configuration.maximumErrors {
            state = .logout
            return .close([response, .untagged(.bye(nil, "Too many invalid IMAP commands."))])
        }
        return .send([response])
    }
}
