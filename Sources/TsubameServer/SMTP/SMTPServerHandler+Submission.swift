import AccountDirectory
import Logging
import NIOCore
import SASL
import SMTPProtocol

/// SMTP AUTH with the authenticator POP3 shares (one throttle, one lockout table, the same log
/// lines for fail2ban), and the sender checks of an authenticated session (RFC 6409 §4.1).
extension SMTPServerHandler {
    // MARK: AUTH (RFC 4954)

    func verifyPassword(_ mechanism: SASLMechanism, username: String, password: String, context: ChannelHandlerContext) {
        authenticatingUsername = username
        let attempt = server.authenticator.authenticate(user: username, password: password,
                                                        client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(attempt, context: context) { result in
            self.perform(self.session.loginVerdict(self.verdict(result, mechanism, username)), context: context)
        }
    }

    func lookUpCredentials(username: String, context: ChannelHandlerContext) {
        authenticatingUsername = username
        let lookup = server.authenticator.lookUpSCRAM(user: username, client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(lookup, context: context) { result in
            switch result {
            case .success(.found(let lookup)):
                self.scramLookup = lookup
                self.perform(self.session.credentialsFound(lookup.credentials), context: context)
            case .success(.lockedOut):
                self.logLockedOut(.scramSHA256, username: username)
                self.perform(self.session.credentialsFound(nil), context: context)
            case .success(.busy), .failure:
                self.logBusy(.scramSHA256, username: username)
                self.perform(self.session.credentialsFound(nil), context: context)
            }
        }
    }

    func finishSCRAM(username: String, proofVerified: Bool, context: ChannelHandlerContext) {
        guard let lookup = scramLookup else { preconditionFailure("a SCRAM proof without a lookup") }
        scramLookup = nil
        let finishing = server.authenticator.finishSCRAM(user: username, lookup: lookup, proofVerified: proofVerified,
                                                         client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(finishing, context: context) { result in
            self.perform(self.session.loginVerdict(self.verdict(result, .scramSHA256, username)), context: context)
        }
    }

    /// The authenticator's outcome in the session's terms; lockouts and overload are logged
    /// here, where they are told apart (the client sees 454 for both).
    private func verdict(_ result: Result<LoginOutcome, any Error>, _ mechanism: SASLMechanism,
                         _ username: String) -> LoginVerdict {
        switch result {
        case .success(.verified(let mailbox)):
            authenticatedMailbox = mailbox
            return .verified(account: "\(mailbox)")
        case .success(.rejected):
            return .rejected
        case .success(.lockedOut):
            logLockedOut(mechanism, username: username)
            return .temporaryFailure
        case .success(.busy), .failure:
            logBusy(mechanism, username: username)
            return .temporaryFailure
        }
    }

    // MARK: Log lines, the same as POP3's (fail2ban's filter matches both)

    func logLogin(_ mechanism: SASLMechanism) {
        // The name as the client gave it, as POP3 logs it.
        logger.info("login", metadata: authenticationFields(mechanism, username: authenticatingUsername))
    }

    func logFailedAuthentication(_ failure: AuthenticationFailure) {
        let fields = authenticationFields(failure.mechanism, username: failure.username)
        if failure.credentialsRejected {
            logger.notice("authentication failed", metadata: fields)
        } else {
            logger.debug("authentication abandoned", metadata: fields)
        }
    }

    private func logLockedOut(_ mechanism: SASLMechanism, username: String) {
        logger.notice("login refused: locked out after repeated failures",
                      metadata: authenticationFields(mechanism, username: username))
    }

    private func logBusy(_ mechanism: SASLMechanism, username: String) {
        logger.warning("login refused: too many password checks pending",
                       metadata: authenticationFields(mechanism, username: username))
    }

    /// Never the password nor any SASL message: only the mechanism and the name the client gave.
    private func authenticationFields(_ mechanism: SASLMechanism, username: String?) -> Logger.Metadata {
        ["sasl_method": "\(mechanism.rawValue)", "sasl_username": "\(username ?? "")"]
    }

    // MARK: Sender identity and limits (RFC 6409 §4.1)

    /// MAIL of an authenticated session: a non-null sender must be one the account may use;
    /// then the account's hourly message limit. `MAIL FROM:<>` (bounces, receipts) is allowed.
    func authorizeSender(_ reversePath: SMTPReversePath, context: ChannelHandlerContext) {
        guard let account = authenticatedMailbox else { preconditionFailure("a sender check without a login") }
        let allowed: EventLoopFuture<Bool>
        switch reversePath {
        case .null:
            allowed = context.eventLoop.makeSucceededFuture(true)
        case .mailbox(let mailbox):
            allowed = mayUse(["\(mailbox)"], account: account, on: context.eventLoop)
        }
        connection.continueAfter(allowed, context: context) { result in
            let verdict: SenderVerdict
            switch result {
            case .success(true):
                let admitted = self.server.submissionLimiter.admitMessage(
                    account: "\(account)", now: NIODeadline.now().uptimeNanoseconds)
                verdict = admitted ? .accept : .messageLimitReached
                if !admitted { self.logger.notice("sending limit reached: messages per hour", metadata: ["user": "\(account)"]) }
            case .success(false):
                verdict = .notOwned
                self.logger.notice("sender rejected: not an address this login may use",
                                   metadata: ["user": "\(account)", "from": "\(reversePath)"])
            case .failure(let error):
                self.logger.error("sender check failed: \(error)")
                verdict = .temporaryFailure
            }
            self.perform(self.session.senderVerdict(verdict), context: context)
        }
    }

    /// End of an authenticated session's content: every address of the header From must be
    /// one the account may use, or nothing is stored.
    func checkHeaderSenders(context: ChannelHandlerContext) {
        guard let account = authenticatedMailbox, let transfer else { preconditionFailure("a header check without a message") }
        guard let addresses = transfer.headerFromAddresses else {
            logger.notice("message rejected: header From unreadable", metadata: ["user": "\(account)"])
            perform(session.headerSenderVerdict(.unreadable), context: context)
            return
        }
        let allowed = mayUse(addresses, account: account, on: context.eventLoop)
        connection.continueAfter(allowed, context: context) { result in
            let verdict: HeaderSenderVerdict
            switch result {
            case .success(true): verdict = .accept
            case .success(false):
                verdict = .notOwned
                self.logger.notice("message rejected: header From not an address this login may use",
                                   metadata: ["user": "\(account)", "header_from": "\(addresses.joined(separator: ","))"])
            case .failure(let error):
                self.logger.error("sender check failed: \(error)")
                verdict = .temporaryFailure
            }
            self.perform(self.session.headerSenderVerdict(verdict), context: context)
        }
    }

    /// True when the account may use every one of `addresses`.
    private func mayUse(_ addresses: [String], account: MailboxAddress, on eventLoop: any EventLoop) -> EventLoopFuture<Bool> {
        let senders = server.senders
        let delimiter = config.smtp.plusAddressing ? config.smtp.recipientDelimiter : nil
        return eventLoop.makeFutureWithTask {
            for address in addresses {
                guard try await senders.mayUseSender(account: account, address: address, recipientDelimiter: delimiter) else {
                    return false
                }
            }
            return true
        }
    }
}
