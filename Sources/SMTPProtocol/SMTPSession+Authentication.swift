import SASL

/// One AUTH exchange (RFC 4954 §4) as the session sees it: the SASL state machine, and what the
/// session waits for. Equal when mechanism and stage are: the SASL state itself is opaque.
public struct AuthenticationExchange: Sendable, Equatable {
    public let mechanism: SASLMechanism
    public internal(set) var stage: Stage
    var exchange: SASLServerExchange
    /// SCRAM: the user's keys were looked up, so a refused proof is a failed login to count.
    var credentialsLookedUp = false

    public enum Stage: Sendable, Equatable {
        /// A response line from the client is next.
        case awaitingResponse
        /// The handler checks a PLAIN or LOGIN password.
        case checkingPassword(username: String)
        /// The handler looks up SCRAM keys.
        case lookingUpCredentials(username: String)
        /// The handler tells the authenticator the SCRAM proof's verdict; `serverFinal` is sent
        /// in a 334 once it confirms a verified proof.
        case finishingSCRAM(username: String, serverFinal: [UInt8]?)
        /// SCRAM: the server signature went out in a 334; the client's empty answer completes
        /// the login of `account` (RFC 4954 §4).
        case awaitingAcknowledgement(account: String)

        var readsResponse: Bool {
            switch self {
            case .awaitingResponse, .awaitingAcknowledgement: return true
            case .checkingPassword, .lookingUpCredentials, .finishingSCRAM: return false
            }
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.mechanism == rhs.mechanism && lhs.stage == rhs.stage
    }
}

/// What a failed AUTH was, for the log (fail2ban reads the failed logins).
public struct AuthenticationFailure: Sendable, Equatable {
    public var mechanism: SASLMechanism
    /// As the client named it, when it got that far.
    public var username: String?
    /// Credentials were checked and refused (535): a failed login. Otherwise the exchange was
    /// cancelled, malformed, or could not be checked now (454).
    public var credentialsRejected: Bool
}

/// The authenticator's answer, in the session's terms.
public enum LoginVerdict: Sendable, Equatable {
    case verified(account: String)
    case rejected
    /// Locked out, busy, or the directory failed: 454 4.7.0.
    case temporaryFailure
}

extension SMTPSession {
    /// AUTH: RFC 4954 §4's order of refusals, then the first step of the mechanism.
    mutating func beginAuthentication(mechanism name: String, initialResponse: [UInt8]?) -> Action {
        guard configuration.authentication != .notOffered else { return fail(SMTPReply(502, "5.5.1", "AUTH not implemented")) }
        guard case .ready(let greeting, let envelope) = phase, case .ehlo = greeting else {
            return fail(.badSequence("send EHLO first"))
        }
        // RFC 4954 §6 (538): offered on this listener, but only inside TLS.
        guard configuration.authenticationAvailable else { return fail(.encryptionRequiredForAuthentication) }
        // RFC 4954 §4: no AUTH once authenticated, nor during a mail transaction.
        guard authenticatedAccount == nil else { return fail(.badSequence("already authenticated")) }
        guard envelope == nil else { return fail(.badSequence("AUTH is not allowed during a mail transaction")) }
        guard let mechanism = SASLMechanism(name: name) else { return fail(.unknownMechanism) }
        var exchange = AuthenticationExchange(
            mechanism: mechanism, stage: .awaitingResponse,
            exchange: SASLServerExchange(mechanism: mechanism, serverNonce: scramServerNonce))
        let step = exchange.exchange.start(initialResponse: initialResponse)
        return advance(greeting, &exchange, step)
    }

    /// A line while `expectedInput` is `.saslResponse`.
    public mutating func saslResponse(_ line: [UInt8]) -> Action {
        guard case .authenticating(let greeting, var exchange) = phase, exchange.stage.readsResponse else {
            preconditionFailure("a SASL response while \(phase)")
        }
        let step = exchange.exchange.receive(line)
        return advance(greeting, &exchange, step)
    }

    /// A SASL response longer than `SMTPLineLimits.sasl` (RFC 4954 §6: 500 5.5.6).
    public mutating func saslResponseTooLong() -> Action {
        endExchange(.authenticationLineTooLong, credentialsRejected: false)
    }

    /// A SASL response with a bare CR or LF: not a response at all.
    public mutating func saslResponseBareLineEnding() -> Action {
        endExchange(.authenticationMalformed, credentialsRejected: false)
    }

    /// After `.lookUpCredentials`: the keys (made-up ones for an unknown user), or nil when the
    /// lookup could not be made (locked out, busy): 454.
    public mutating func credentialsFound(_ credentials: SCRAMCredentials?) -> Action {
        guard case .authenticating(let greeting, var exchange) = phase, case .lookingUpCredentials = exchange.stage else {
            preconditionFailure("credentials without a lookup")
        }
        guard let credentials else { return endExchange(.authenticationTemporaryFailure, credentialsRejected: false) }
        exchange.credentialsLookedUp = true
        let step = exchange.exchange.credentialsFound(credentials)
        return advance(greeting, &exchange, step)
    }

    /// After `.verifyPassword` or `.finishSCRAM`.
    public mutating func loginVerdict(_ verdict: LoginVerdict) -> Action {
        guard case .authenticating(let greeting, var exchange) = phase else { preconditionFailure("login verdict outside AUTH") }
        switch (exchange.stage, verdict) {
        case (.checkingPassword, .verified(let account)):
            return succeed(greeting, account: account, exchange.mechanism)
        case (.finishingSCRAM(_, let serverFinal?), .verified(let account)):
            exchange.stage = .awaitingAcknowledgement(account: account)
            phase = .authenticating(greeting, exchange)
            return .reply(.authenticationChallenge(serverFinal))
        case (.checkingPassword, .rejected), (.finishingSCRAM, .rejected), (.finishingSCRAM(_, nil), .verified):
            // A made-up record or a wrong proof never logs in, whatever the authenticator says.
            return endExchange(.authenticationFailed, credentialsRejected: true)
        case (.checkingPassword, .temporaryFailure), (.finishingSCRAM, .temporaryFailure):
            return endExchange(.authenticationTemporaryFailure, credentialsRejected: false)
        default:
            preconditionFailure("login verdict in stage \(exchange.stage)")
        }
    }

    // MARK: Internals

    private mutating func advance(_ greeting: Greeting, _ exchange: inout AuthenticationExchange, _ step: SASLStep) -> Action {
        let acknowledgedAccount: String?
        if case .awaitingAcknowledgement(let account) = exchange.stage { acknowledgedAccount = account } else { acknowledgedAccount = nil }
        switch step {
        case .challenge(let octets):
            exchange.stage = .awaitingResponse
            phase = .authenticating(greeting, exchange)
            return .reply(.authenticationChallenge(octets))
        case .verifyPassword(let username, let password):
            exchange.stage = .checkingPassword(username: username)
            phase = .authenticating(greeting, exchange)
            return .verifyPassword(exchange.mechanism, username: username, password: password)
        case .lookUpCredentials(let username):
            exchange.stage = .lookingUpCredentials(username: username)
            phase = .authenticating(greeting, exchange)
            return .lookUpCredentials(username: username)
        case .proofVerified(let username, let serverFinal):
            exchange.stage = .finishingSCRAM(username: username, serverFinal: serverFinal)
            phase = .authenticating(greeting, exchange)
            return .finishSCRAM(username: username, proofVerified: true)
        case .failed(.rejected, let username?) where exchange.credentialsLookedUp:
            // A wrong SCRAM proof: the authenticator counts it and waits like for a wrong password.
            exchange.stage = .finishingSCRAM(username: username, serverFinal: nil)
            phase = .authenticating(greeting, exchange)
            return .finishSCRAM(username: username, proofVerified: false)
        case .succeeded:
            guard let account = acknowledgedAccount else { preconditionFailure("SASL success before the authenticator's") }
            return succeed(greeting, account: account, exchange.mechanism)
        case .failed(let failure, let username):
            let reply: SMTPReply
            switch failure {
            case .cancelled: reply = .authenticationCancelled
            case .notBase64: reply = .authenticationNotBase64
            case .malformed: reply = .authenticationMalformed
            case .rejected: reply = .authenticationFailed
            }
            phase = .authenticating(greeting, exchange)
            return endExchange(reply, username: username, credentialsRejected: failure == .rejected)
        }
    }

    private mutating func succeed(_ greeting: Greeting, account: String, _ mechanism: SASLMechanism) -> Action {
        authenticatedAccount = account
        phase = .ready(greeting, nil)
        return .authenticated(.authenticationSucceeded, account: account, mechanism: mechanism)
    }

    /// Ends the exchange with an error reply; it counts towards the error limit (RFC 5321
    /// §4.2.2 lets a server close after too many), so a connection cannot guess forever.
    private mutating func endExchange(_ reply: SMTPReply, username: String? = nil, credentialsRejected: Bool) -> Action {
        guard case .authenticating(let greeting, let exchange) = phase else { preconditionFailure("no AUTH to end") }
        let failure = AuthenticationFailure(mechanism: exchange.mechanism, username: username ?? exchange.stage.username,
                                            credentialsRejected: credentialsRejected)
        phase = .ready(greeting, nil)
        return .authenticationFailed(failure, then: fail(reply))
    }
}

extension AuthenticationExchange.Stage {
    var username: String? {
        switch self {
        case .awaitingResponse: return nil
        case .checkingPassword(let username), .lookingUpCredentials(let username), .finishingSCRAM(let username, _):
            return username
        case .awaitingAcknowledgement(let account): return account
        }
    }
}

extension SMTPSession {
    /// The handler's answer to `.authorizeSender`.
    public mutating func senderVerdict(_ verdict: SenderVerdict) -> Action {
        guard case .awaitingSenderVerdict(let greeting, let envelope) = phase else {
            preconditionFailure("sender verdict without a pending MAIL")
        }
        switch verdict {
        case .accept:
            phase = .ready(greeting, envelope)
            return .reply(.senderOK)
        case .notOwned:
            phase = .ready(greeting, nil)
            return fail(.senderNotOwned)
        case .messageLimitReached:
            phase = .ready(greeting, nil)
            return .reply(.messageLimitReached)
        case .temporaryFailure:
            phase = .ready(greeting, nil)
            return .reply(.directoryUnavailable)
        }
    }
}
