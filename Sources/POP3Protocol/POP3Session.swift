import ProtocolSupport
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

/// The POP3 server session as a pure state machine: AUTHORIZATION → TRANSACTION → UPDATE
/// (RFC 1939 §3). The channel handler executes the actions it returns.
public struct POP3Session: Sendable {
    public enum State: Sendable, Equatable {
        case authorization(user: String?)
        case awaitingSASLResponse
        case verifyingCredentials
        case openingMaildrop
        case transaction
        case sendingMessage
        case updating
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
        /// "+OK" then one line per undeleted message, pulled with `listingLine(_:at:)`.
        case sendListing(POP3Response, ListingKind)
        /// "+ " continuation for SASL (RFC 5034 §4).
        case continueSASL
        /// Send the +OK, then start TLS before reading anything more; input already buffered
        /// behind STLS is an injection attempt: close instead.
        case startTLS(POP3Response)
        case verifyCredentials(user: String, password: String)
        case openMaildrop(user: String)
        /// "+OK" then the message, LF → CRLF and dot-stuffed; TOP sets `bodyLineLimit`.
        /// Answer with `messageSent(_:seen:)`.
        case sendMessage(POP3Response, index: Int, bodyLineLimit: Int?)
        /// QUIT in TRANSACTION: remove these messages durably, then `updateFinished(removed:)`.
        case update([MaildropMessage])
        case close(POP3Response)
    }

    public enum MaildropFailure: Error, Sendable, Equatable {
        case inUse
        case unavailable
    }

    public let configuration: POP3SessionConfiguration
    public private(set) var state = State.authorization(user: nil)
    public private(set) var user: String?
    public private(set) var messages: [MaildropMessage] = []
    public private(set) var errorCount = 0

    public init(configuration: POP3SessionConfiguration) {
        self.configuration = configuration
    }

    /// The next line is a SASL response, not a command.
    public var expectsSASLResponse: Bool { state == .awaitingSASLResponse }

    public var isInTransaction: Bool {
        state == .transaction || state == .sendingMessage
    }

    // MARK: Commands

    public mutating func receive(_ parsed: Result<POP3Command, POP3SyntaxError>) -> Action {
        switch parsed {
        case .failure(let error): return fail(.error(error.reason))
        case .success(let command): return receive(command)
        }
    }

    public mutating func receive(_ command: POP3Command) -> Action {
        switch (command, state) {
        case (.capa, _):
            return .replyLines(.ok("Capability list follows"), capabilities)
        case (.quit, .authorization):
            state = .closed
            return .close(.ok("Tsubame POP3 server signing off"))
        case (.quit, .transaction):
            state = .updating
            return .update(messages.filter(\.isDeleted))
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
            return .verifyCredentials(user: user, password: password)
        case (.auth(let mechanism, let initialResponse), .authorization):
            return beginAuthentication(mechanism: mechanism, initialResponse: initialResponse)

        case (.stat, .transaction):
            let live = messages.filter { !$0.isDeleted }
            return .reply(.ok("\(live.count) \(live.reduce(0) { $0 + $1.size })"))
        case (.list(let number?), .transaction):
            if let problem = problem(with: number) { return fail(problem) }
            return .reply(.ok("\(number) \(messages[number - 1].size)"))
        case (.list(nil), .transaction):
            let live = messages.filter { !$0.isDeleted }
            return .sendListing(.ok("\(live.count) messages (\(live.reduce(0) { $0 + $1.size }) octets)"), .sizes)
        case (.uidl(let number?), .transaction):
            if let problem = problem(with: number) { return fail(problem) }
            return .reply(.ok("\(number) \(messages[number - 1].uid)"))
        case (.uidl(nil), .transaction):
            return .sendListing(.ok("Unique-ID listing follows"), .uids)
        case (.retr(let number), .transaction):
            if let problem = problem(with: number) { return fail(problem) }
            state = .sendingMessage
            return .sendMessage(.ok("\(messages[number - 1].size) octets"), index: number - 1, bodyLineLimit: nil)
        case (.top(let number, let lines), .transaction):
            if let problem = problem(with: number) { return fail(problem) }
            state = .sendingMessage
            return .sendMessage(.ok("Top of message follows"), index: number - 1, bodyLineLimit: lines)
        case (.dele(let number), .transaction):
            if let problem = problem(with: number) { return fail(problem) }
            messages[number - 1].isDeleted = true
            return .reply(.ok("Message \(number) deleted"))
        case (.rset, .transaction):
            for index in messages.indices { messages[index].isDeleted = false }
            return .reply(.ok("Maildrop has \(messages.count) messages (\(messages.reduce(0) { $0 + $1.size }) octets)"))

        case (.unknown, _):
            return fail(.unknownCommand)
        default:
            return fail(.wrongState)
        }
    }

    public mutating func receiveLineTooLong() -> Action { fail(.lineTooLong) }
    public mutating func receiveBareLineEnding() -> Action { fail(.bareLineEnding) }

    /// The client's answer to "+ " (RFC 5034 §4): base64, or "*" to cancel.
    public mutating func receiveSASLResponse(_ line: [UInt8]) -> Action {
        guard state == .awaitingSASLResponse else { preconditionFailure("no SASL exchange in progress") }
        state = .authorization(user: nil)
        if line == [UInt8(ascii: "*")] { return fail(.error("Authentication cancelled")) }
        return finishPlain(line)
    }

    // MARK: Results of the handler's work

    public mutating func credentialsVerified(_ user: String?) -> Action {
        guard state == .verifyingCredentials else { preconditionFailure("no credentials being verified") }
        guard let user else {
            state = .authorization(user: nil)
            return fail(.authenticationFailed)
        }
        self.user = user
        state = .openingMaildrop
        return .openMaildrop(user: user)
    }

    /// The credentials were not checked: too many recent failures.
    public mutating func loginRefused(_ response: POP3Response) -> Action {
        guard state == .verifyingCredentials else { preconditionFailure("no credentials being verified") }
        state = .authorization(user: nil)
        return fail(response)
    }

    public mutating func maildropOpened(_ result: Result<[MaildropMessage], MaildropFailure>) -> Action {
        guard state == .openingMaildrop else { preconditionFailure("no maildrop being opened") }
        switch result {
        case .success(let snapshot):
            messages = snapshot
            state = .transaction
            return .reply(.ok("Logged in, \(snapshot.count) messages (\(snapshot.reduce(0) { $0 + $1.size }) octets)"))
        case .failure(.inUse):
            user = nil
            state = .authorization(user: nil)
            return fail(.mailboxInUse)
        case .failure(.unavailable):
            user = nil
            state = .authorization(user: nil)
            return fail(.temporaryFailure)
        }
    }

    /// RETR/TOP finished; `newLocation` when RETR moved the file (new/ → cur/, seen).
    public mutating func messageSent(index: Int, newLocation: String?) {
        guard state == .sendingMessage else { preconditionFailure("no message being sent") }
        if let newLocation { messages[index].location = newLocation }
        state = .transaction
    }

    public mutating func updateFinished(removedAll: Bool) -> Action {
        guard state == .updating else { preconditionFailure("no update in progress") }
        state = .closed
        let count = messages.filter(\.isDeleted).count
        return .close(removedAll ? .ok("Tsubame POP3 server signing off (\(count) messages deleted)")
                                 : .error("Some deleted messages were not removed", code: .systemTemporary))
    }

    /// Line `position` (0-based among undeleted messages) of a LIST or UIDL listing.
    public func listingLines(_ kind: ListingKind) -> some Sequence<String> {
        messages.enumerated().lazy.filter { !$0.element.isDeleted }.map { index, message in
            kind == .sizes ? "\(index + 1) \(message.size)" : "\(index + 1) \(message.uid)"
        }
    }

    // MARK: Internals

    /// The session after a successful TLS handshake: still in AUTHORIZATION, with passwords
    /// now allowed (RFC 2595 §4).
    public func afterTLSHandshake() -> POP3Session {
        var fresh = POP3Session(configuration: POP3SessionConfiguration(
            maximumErrors: configuration.maximumErrors, plaintextAllowed: true, stlsAvailable: false, tlsActive: true))
        fresh.errorCount = errorCount
        return fresh
    }

    public var capabilities: [String] {
        var lines = ["TOP", "UIDL"]
        if configuration.stlsAvailable && !configuration.tlsActive { lines.append("STLS") }
        if configuration.plaintextAllowed {
            lines.append("USER")
            lines.append("SASL \(SASLMechanism.allCases.map(\.rawValue).joined(separator: " "))")
        }
        lines += ["RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "IMPLEMENTATION Tsubame"]
        return lines
    }

    private mutating func beginAuthentication(mechanism: String?, initialResponse: [UInt8]?) -> Action {
        guard let mechanism else {
            // "AUTH" alone lists the mechanisms, as many clients expect (RFC 1734 practice).
            let offered = configuration.plaintextAllowed ? SASLMechanism.allCases.map(\.rawValue) : []
            return .replyLines(.ok("Supported mechanisms follow"), offered)
        }
        guard SASLMechanism(rawValue: mechanism) == .plain else {
            return fail(.error("Unsupported authentication mechanism"))
        }
        guard configuration.plaintextAllowed else { return fail(.plaintextDisallowed) }
        guard let initialResponse else {
            state = .awaitingSASLResponse
            return .continueSASL
        }
        // RFC 5034 §4: "=" is an empty initial response, which PLAIN cannot use.
        return finishPlain(initialResponse == [UInt8(ascii: "=")] ? [] : initialResponse)
    }

    private mutating func finishPlain(_ response: [UInt8]) -> Action {
        switch SASLPlainCredentials.parse(base64: response) {
        case .failure(.notBase64):
            return fail(.error("Invalid base64 in SASL response"))
        case .failure(.malformed):
            return fail(.authenticationFailed)
        case .success(let credentials):
            // Tsubame has no proxy authorisation: an authzid must name the same user.
            if let authzid = credentials.authorizationIdentity,
               authzid.lowercased() != credentials.authenticationIdentity.lowercased() {
                return fail(.authenticationFailed)
            }
            state = .verifyingCredentials
            return .verifyCredentials(user: credentials.authenticationIdentity, password: credentials.password)
        }
    }

    /// Why message `number` cannot be used, or nil (RFC 1939 §5: deleted messages are not usable).
    private func problem(with number: Int) -> POP3Response? {
        guard number >= 1, number <= messages.count else { return .noSuchMessage }
        return messages[number - 1].isDeleted ? .messageDeleted : nil
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
