import SASL

/// One message of the maildrop snapshot taken at login (RFC 1939 §5: the list does not change
/// during the session). `location` is opaque to the protocol: the store's name for the file.
public struct MaildropMessage: Sendable, Equatable {
    public var uid: String
    /// Octets with CRLF line ends, before dot-stuffing: what RETR sends (RFC 1939 §5).
    public var size: Int
    public var location: String
    public var isDeleted = false

    public init(uid: String, size: Int, location: String) {
        self.uid = uid
        self.size = size
        self.location = location
    }
}

public struct POP3SessionConfiguration: Sendable, Equatable {
    public var maximumErrors: Int
    /// USER/PASS and AUTH PLAIN send the password in the clear: allowed only on encrypted
    /// connections, or on loopback when the configuration says so (RFC 2595 §2.2).
    public var plaintextAllowed: Bool
    /// STLS can be offered (a certificate is loaded and the listener allows it).
    public var stlsAvailable: Bool
    public var tlsActive: Bool

    public init(maximumErrors: Int, plaintextAllowed: Bool, stlsAvailable: Bool = false, tlsActive: Bool = false) {
        self.maximumErrors = maximumErrors
        self.plaintextAllowed = plaintextAllowed || tlsActive
        self.stlsAvailable = stlsAvailable
        self.tlsActive = tlsActive
    }
}

/// The maildrop of a logged-in user: the snapshot taken at login, with the deletion marks.
public struct OpenMaildrop: Sendable, Equatable {
    public var user: String
    public var messages: [MaildropMessage]

    public init(user: String, messages: [MaildropMessage]) {
        self.user = user
        self.messages = messages
    }
}

/// The POP3 server session as a pure state machine: AUTHORIZATION → TRANSACTION → UPDATE
/// (RFC 1939 §3). The channel handler executes the actions it returns.
public struct POP3Session: Sendable {
    /// Where the session is, holding the data that exists there and only there.
    public enum State: Sendable, Equatable {
        /// AUTHORIZATION; `user` is the name a USER command gave for the PASS that follows.
        case authorization(user: String?)
        /// A challenge ("+ ...") was sent; the next line is the client's response (RFC 5034 §4).
        /// `mailbox` is set once the authenticator accepted a SCRAM proof and only the client's
        /// acknowledgement of the server signature is missing.
        case authenticating(SASLServerExchange, mailbox: String?)
        /// SCRAM: the user's stored keys are being fetched (`scramCredentialsFound(_:)`).
        case lookingUpCredentials(SASLServerExchange)
        /// SCRAM: the authenticator is counting the exchange's verdict on the proof; the
        /// server-final waits for its answer (`credentialsVerified(_:)`).
        case confirmingProof(SASLServerExchange, serverFinal: [UInt8]?)
        case verifyingCredentials
        case openingMaildrop(user: String)
        case transaction(OpenMaildrop)
        /// RETR or TOP of the message at `index` is being sent.
        case sendingMessage(OpenMaildrop, index: Int)
        /// QUIT in TRANSACTION: the marked messages are being removed (RFC 1939 §6).
        case updating(OpenMaildrop)
        case closed
    }

    public enum ListingKind: Sendable, Equatable {
        case sizes   // LIST
        case uids    // UIDL
    }

    public enum Action: Sendable, Equatable {
        case reply(POP3Response)
        /// A status line and a short multi-line body (CAPA, AUTH's mechanism list).
        case replyLines(POP3Response, [String])
        /// "+OK" then one line per undeleted message, taken from `listingLines(_:)`.
        case sendListing(POP3Response, ListingKind)
        /// A SASL challenge: "+ " and the octets in base64, "+ " alone when empty (RFC 5034 §4).
        case continueSASL([UInt8])
        /// Send the +OK, then start TLS before reading anything more; input already buffered
        /// behind STLS is an injection attempt: close instead.
        case startTLS(POP3Response)
        /// USER/PASS, PLAIN, LOGIN: check the password; answer with `credentialsVerified(_:)`
        /// or `loginRefused(_:)`.
        case verifyCredentials(user: String, password: String, method: LoginMethod)
        /// SCRAM: fetch the user's keys (made-up ones for an unknown user); answer with
        /// `scramCredentialsFound(_:)` or `loginRefused(_:)`.
        case lookUpSCRAMCredentials(user: String)
        /// SCRAM: tell the authenticator whether the proof verified (a wrong one counts as a
        /// failed login); answer with `credentialsVerified(_:)`.
        case finishSCRAM(user: String, proofVerified: Bool)
        case openMaildrop(user: String)
        /// "+OK" then the message, LF → CRLF and dot-stuffed; TOP sets `bodyLineLimit`.
        /// Answer with `messageSent(index:newLocation:)`.
        case sendMessage(POP3Response, index: Int, bodyLineLimit: Int?)
        /// QUIT in TRANSACTION: remove these messages durably, then `updateFinished(removedAll:)`.
        case update([MaildropMessage])
        case close(POP3Response)
    }

    public enum MaildropFailure: Error, Sendable, Equatable {
        case inUse
        case unavailable
    }

    public let configuration: POP3SessionConfiguration
    public private(set) var state = State.authorization(user: nil)
    /// Tests only: the SCRAM server nonce, to reproduce a published exchange.
    var fixedServerNonceForTests: String?
    public private(set) var errorCount = 0

    public init(configuration: POP3SessionConfiguration) {
        self.configuration = configuration
    }

    /// The next line is a SASL response, not a command.
    public var expectsSASLResponse: Bool {
        if case .authenticating = state { return true }
        return false
    }

    /// The maildrop snapshot once logged in; empty before.
    public var messages: [MaildropMessage] {
        switch state {
        case .transaction(let maildrop), .sendingMessage(let maildrop, _), .updating(let maildrop): return maildrop.messages
        case .authorization, .authenticating, .lookingUpCredentials, .confirmingProof, .verifyingCredentials,
             .openingMaildrop, .closed:
            return []
        }
    }

    // MARK: Commands

    public mutating func receive(_ parsed: Result<POP3Command, POP3SyntaxError>) -> Action {
        switch parsed {
        case .failure(let error): return fail(.error(error.reason))
        case .success(let command): return receive(command)
        }
    }

    public mutating func receive(_ command: POP3Command) -> Action {
        // The two that change the snapshot come first: inside the switch, its copy of the
        // state would make them change a copy of the snapshot.
        if case .transaction = state {
            if case .dele(let number) = command { return delete(number) }
            if case .rset = command { return undeleteAll() }
        }
        switch (command, state) {
        case (.capa, _):
            return .replyLines(.ok("Capability list follows"), capabilities)
        case (.quit, .authorization):
            state = .closed
            return .close(.ok("Tsubame POP3 server signing off"))
        case (.quit, .transaction(let maildrop)):
            state = .updating(maildrop)
            return .update(maildrop.messages.filter(\.isDeleted))
        case (.noop, .transaction):
            return .reply(.ok(""))

        case (.stls, .authorization):
            // RFC 2595 §4: only in AUTHORIZATION, only once.
            guard !configuration.tlsActive else { return fail(.error("TLS is already active")) }
            guard configuration.stlsAvailable else { return fail(.error("STLS not available")) }
            state = .closed  // nothing more is read in plaintext
            return .startTLS(.ok("Begin TLS negotiation"))
        case (.user(let name), .authorization):
            guard configuration.plaintextAllowed else { return fail(.plaintextDisallowed) }
            state = .authorization(user: name)
            return .reply(.ok("Send your password"))
        case (.pass(let password), .authorization(let user)):
            guard configuration.plaintextAllowed else { return fail(.plaintextDisallowed) }
            guard let user else { return fail(.error("Send USER first")) }
            state = .verifyingCredentials
            return .verifyCredentials(user: user, password: password, method: .userPass)
        case (.auth(let mechanism, let initialResponse), .authorization):
            return beginAuthentication(mechanism: mechanism, initialResponse: initialResponse)

        case (.stat, .transaction(let maildrop)):
            let live = maildrop.messages.filter { !$0.isDeleted }
            return .reply(.ok("\(live.count) \(live.reduce(0) { $0 + $1.size })"))
        case (.list(let number?), .transaction(let maildrop)):
            if let problem = problem(with: number, in: maildrop) { return fail(problem) }
            return .reply(.ok("\(number) \(maildrop.messages[number - 1].size)"))
        case (.list(nil), .transaction(let maildrop)):
            let live = maildrop.messages.filter { !$0.isDeleted }
            return .sendListing(.ok("\(live.count) messages (\(live.reduce(0) { $0 + $1.size }) octets)"), .sizes)
        case (.uidl(let number?), .transaction(let maildrop)):
            if let problem = problem(with: number, in: maildrop) { return fail(problem) }
            return .reply(.ok("\(number) \(maildrop.messages[number - 1].uid)"))
        case (.uidl(nil), .transaction):
            return .sendListing(.ok("Unique-ID listing follows"), .uids)
        case (.retr(let number), .transaction(let maildrop)):
            if let problem = problem(with: number, in: maildrop) { return fail(problem) }
            state = .sendingMessage(maildrop, index: number - 1)
            return .sendMessage(.ok("\(maildrop.messages[number - 1].size) octets"), index: number - 1, bodyLineLimit: nil)
        case (.top(let number, let lines), .transaction(let maildrop)):
            if let problem = problem(with: number, in: maildrop) { return fail(problem) }
            state = .sendingMessage(maildrop, index: number - 1)
            return .sendMessage(.ok("Top of message follows"), index: number - 1, bodyLineLimit: lines)

        case (.unknown, _):
            return fail(.unknownCommand)
        default:
            return fail(.wrongState)
        }
    }

    public mutating func receiveLineTooLong() -> Action { fail(.lineTooLong) }
    public mutating func receiveBareLineEnding() -> Action { fail(.bareLineEnding) }

    /// The client's answer to a challenge (RFC 5034 §4): base64, or "*" to cancel.
    public mutating func receiveSASLResponse(_ line: [UInt8]) -> Action {
        guard case .authenticating(var exchange, let mailbox) = state else { preconditionFailure("no SASL exchange in progress") }
        state = .closed  // the exchange is this function's alone while it changes
        let proofWasChecked = exchange.mechanism == .scramSHA256 && exchange.awaitsClientFinal
        return advance(exchange.receive(line), exchange, mailbox: mailbox, proofWasChecked: proofWasChecked)
    }

    // MARK: Results of the handler's work

    /// The authenticator's answer: the mailbox logged in, or nil for a refusal. After a
    /// verified SCRAM proof the server-final still goes out first (`continueSASL`).
    public mutating func credentialsVerified(_ user: String?) -> Action {
        switch (state, user) {
        case (.verifyingCredentials, let user?):
            state = .openingMaildrop(user: user)
            return .openMaildrop(user: user)
        case (.confirmingProof(let exchange, let serverFinal?), let user?):
            // The server signature is "additional data with success" (RFC 4422 §3.6): sent as
            // a last challenge, which the client answers with an empty line.
            state = .authenticating(exchange, mailbox: user)
            return .continueSASL(serverFinal)
        case (.verifyingCredentials, nil), (.confirmingProof, _):
            state = .authorization(user: nil)
            return fail(.authenticationFailed)
        default:
            preconditionFailure("no credentials being verified")
        }
    }

    /// SCRAM: the keys the handler looked up (made-up ones for an unknown user).
    public mutating func scramCredentialsFound(_ credentials: SCRAMCredentials) -> Action {
        guard case .lookingUpCredentials(var exchange) = state else { preconditionFailure("no SCRAM lookup in progress") }
        state = .closed
        return advance(exchange.credentialsFound(credentials), exchange, mailbox: nil, proofWasChecked: false)
    }

    /// The credentials were not checked: locked out, or the directory is busy.
    public mutating func loginRefused(_ response: POP3Response) -> Action {
        switch state {
        case .verifyingCredentials, .lookingUpCredentials: break
        default: preconditionFailure("no credentials being verified")
        }
        state = .authorization(user: nil)
        return fail(response)
    }

    public mutating func maildropOpened(_ result: Result<[MaildropMessage], MaildropFailure>) -> Action {
        guard case .openingMaildrop(let user) = state else { preconditionFailure("no maildrop being opened") }
        switch result {
        case .success(let snapshot):
            state = .transaction(OpenMaildrop(user: user, messages: snapshot))
            return .reply(.ok("Logged in, \(snapshot.count) messages (\(snapshot.reduce(0) { $0 + $1.size }) octets)"))
        case .failure(.inUse):
            state = .authorization(user: nil)
            return fail(.mailboxInUse)
        case .failure(.unavailable):
            state = .authorization(user: nil)
            return fail(.temporaryFailure)
        }
    }

    /// RETR/TOP finished; `newLocation` when RETR moved the file (new/ → cur/, seen).
    public mutating func messageSent(index: Int, newLocation: String?) {
        guard case .sendingMessage(var maildrop, let sending) = state, sending == index else {
            preconditionFailure("message \(index) is not being sent")
        }
        state = .closed  // `maildrop` is then the snapshot's only owner: changed in place, not copied
        if let newLocation { maildrop.messages[index].location = newLocation }
        state = .transaction(maildrop)
    }

    public mutating func updateFinished(removedAll: Bool) -> Action {
        guard case .updating(let maildrop) = state else { preconditionFailure("no update in progress") }
        state = .closed
        let count = maildrop.messages.filter(\.isDeleted).count
        return .close(removedAll ? .ok("Tsubame POP3 server signing off (\(count) messages deleted)")
                                 : .error("Some deleted messages were not removed", code: .systemTemporary))
    }

    /// The lines of a LIST or UIDL listing: "number size" or "number uid" for each undeleted
    /// message, numbered as at login (RFC 1939 §5).
    public func listingLines(_ kind: ListingKind) -> some Sequence<String> {
        messages.enumerated().lazy.filter { !$0.element.isDeleted }.map { index, message in
            kind == .sizes ? "\(index + 1) \(message.size)" : "\(index + 1) \(message.uid)"
        }
    }

    /// The session after a successful TLS handshake: still in AUTHORIZATION, with passwords
    /// now allowed (RFC 2595 §4).
    public func afterTLSHandshake() -> POP3Session {
        var fresh = POP3Session(configuration: POP3SessionConfiguration(
            maximumErrors: configuration.maximumErrors, plaintextAllowed: true, stlsAvailable: false, tlsActive: true))
        fresh.errorCount = errorCount
        return fresh
    }

    /// CAPA's lines (RFC 2449 §5): what this connection offers now.
    public var capabilities: [String] {
        var lines = ["TOP", "UIDL"]
        if configuration.stlsAvailable && !configuration.tlsActive { lines.append("STLS") }
        if configuration.plaintextAllowed {
            lines.append("USER")
            lines.append("SASL \(Self.offeredMechanisms)")
        }
        lines += ["RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "IMPLEMENTATION Tsubame"]
        return lines
    }

    // MARK: Internals

    /// "SCRAM-SHA-256 PLAIN LOGIN": SCRAM first, the one that never shows the password.
    static let offeredMechanisms = SASLMechanism.allCases.map(\.rawValue).joined(separator: " ")

    private mutating func beginAuthentication(mechanism: String?, initialResponse: [UInt8]?) -> Action {
        guard let mechanism else {
            // "AUTH" alone lists the mechanisms, as many clients expect (RFC 1734 practice).
            let offered = configuration.plaintextAllowed ? SASLMechanism.allCases.map(\.rawValue) : []
            return .replyLines(.ok("Supported mechanisms follow"), offered)
        }
        guard let mechanism = SASLMechanism(name: mechanism) else {
            return fail(.error("Unsupported authentication mechanism"))
        }
        // SCRAM too, although it never shows the password: one rule for every login, as
        // Dovecot's disable_plaintext_auth (see `SASLMechanism.revealsPassword`).
        guard configuration.plaintextAllowed else { return fail(.plaintextDisallowed) }
        var exchange = SASLServerExchange(mechanism: mechanism, serverNonce: fixedServerNonceForTests)
        return advance(exchange.start(initialResponse: initialResponse), exchange, mailbox: nil, proofWasChecked: false)
    }

    /// Turns an exchange's step into the session's next state and action. `proofWasChecked`:
    /// the step answers a SCRAM client-final, so a rejection is a wrong proof, which counts as
    /// a failed login; any other refusal ends the exchange before a password or proof was tried.
    private mutating func advance(_ step: SASLStep, _ exchange: SASLServerExchange, mailbox: String?,
                                  proofWasChecked: Bool) -> Action {
        switch step {
        case .challenge(let bytes):
            state = .authenticating(exchange, mailbox: nil)
            return .continueSASL(bytes)
        case .verifyPassword(let username, let password):
            state = .verifyingCredentials
            return .verifyCredentials(user: username, password: password, method: .sasl(exchange.mechanism))
        case .lookUpCredentials(let username):
            state = .lookingUpCredentials(exchange)
            return .lookUpSCRAMCredentials(user: username)
        case .proofVerified(let username, let serverFinal):
            state = .confirmingProof(exchange, serverFinal: serverFinal)
            return .finishSCRAM(user: username, proofVerified: true)
        case .succeeded:
            guard let mailbox else {  // cannot happen: .succeeded follows .proofVerified only
                state = .authorization(user: nil)
                return fail(.authenticationFailed)
            }
            state = .openingMaildrop(user: mailbox)
            return .openMaildrop(user: mailbox)
        case .failed(.rejected, let username?) where proofWasChecked:
            state = .confirmingProof(exchange, serverFinal: nil)
            return .finishSCRAM(user: username, proofVerified: false)
        case .failed(let failure, _):
            state = .authorization(user: nil)
            switch failure {
            case .cancelled: return fail(.error("Authentication cancelled"))
            case .notBase64: return fail(.error("Invalid base64 in SASL response"))
            case .malformed, .rejected: return fail(.authenticationFailed)
            }
        }
    }

    /// Why message `number` cannot be used, or nil (RFC 1939 §5: deleted messages are not usable).
    private func problem(with number: Int, in maildrop: OpenMaildrop) -> POP3Response? {
        guard number >= 1, number <= maildrop.messages.count else { return .noSuchMessage }
        return maildrop.messages[number - 1].isDeleted ? .messageDeleted : nil
    }

    /// DELE marks a message; it goes only at QUIT (RFC 1939 §5). The state lets go of the
    /// snapshot while it changes, so the change is made in place, never on a copy: a DELE in a
    /// mailbox of 20,000 messages stays cheap.
    private mutating func delete(_ number: Int) -> Action {
        guard case .transaction(var maildrop) = state else { preconditionFailure("DELE outside TRANSACTION") }
        if let problem = problem(with: number, in: maildrop) { return fail(problem) }
        state = .closed
        maildrop.messages[number - 1].isDeleted = true
        state = .transaction(maildrop)
        return .reply(.ok("Message \(number) deleted"))
    }

    /// RSET unmarks every message (RFC 1939 §5), in place as `delete(_:)` does.
    private mutating func undeleteAll() -> Action {
        guard case .transaction(var maildrop) = state else { preconditionFailure("RSET outside TRANSACTION") }
        state = .closed
        for index in maildrop.messages.indices { maildrop.messages[index].isDeleted = false }
        state = .transaction(maildrop)
        let octets = maildrop.messages.reduce(0) { $0 + $1.size }
        return .reply(.ok("Maildrop has \(maildrop.messages.count) messages (\(octets) octets)"))
    }

    /// Answers -ERR and counts it; at the limit the session ends.
    private mutating func fail(_ response: POP3Response) -> Action {
        errorCount += 1
        if errorCount >= configuration.maximumErrors {
            state = .closed
            return .close(.tooManyErrors)
        }
        return .reply(response)
    }
}
