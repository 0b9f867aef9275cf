import AccountDirectory
import Logging
import NIOCore
import ProtocolSupport
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
                LoginLog(logger: self.logger).lockedOut(method: SASLMechanism.scramSHA256.rawValue, user: username)
                self.perform(self.session.credentialsFound(nil), context: context)
            case .success(.busy), .failure:
                LoginLog(logger: self.logger).busy(method: SASLMechanism.scramSHA256.rawValue, user: username)
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
            LoginLog(logger: logger).lockedOut(method: mechanism.rawValue, user: username)
            return .temporaryFailure
        case .success(.busy), .failure:
            LoginLog(logger: logger).busy(method: mechanism.rawValue, user: username)
            return .temporaryFailure
        }
    }

    // MARK: Log lines, the same as POP3's and IMAP's (LoginLog; fail2ban's filter matches all)

    func logLogin(_ mechanism: SASLMechanism) {
        // The name as the client gave it, as POP3 logs it.
        LoginLog(logger: logger).verified(method: mechanism.rawValue, user: authenticatingUsername ?? "")
    }

    func logFailedAuthentication(_ failure: AuthenticationFailure) {
        if failure.credentialsRejected {
            LoginLog(logger: logger).rejected(method: failure.mechanism.rawValue, user: failure.username ?? "")
        } else {
            logger.debug("authentication abandoned",
                         metadata: LoginLog.fields(method: failure.mechanism.rawValue, user: failure.username ?? ""))
        }
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
        return eventLoop.makeFutureWithLoopTask {
            for address in addresses {
                guard try await senders.mayUseSender(account: account, address: address, recipientDelimiter: delimiter) else {
                    return false
                }
            }
            return true
        }
    }
}
