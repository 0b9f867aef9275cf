import AccountDirectory
import IMAPMailbox
import IMAPProtocol
import Logging
import NIOCore

/// LOGIN and AUTHENTICATE through the shared authenticator, with POP3's log lines, then the
/// account opened on a storage thread.
extension IMAPServerHandler {
    func verify(user: String, password: String, method: IMAPLoginMethod, context: ChannelHandlerContext) {
        let attempt = server.authenticator.authenticate(user: user, password: password,
                                                        client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(attempt, context: context) { result in
            self.answerLogin(result, user: user, method: method, context: context)
        }
    }

    /// SCRAM's first step: the user's keys, after the same lockout check as a password.
    func lookUpSCRAM(user: String, context: ChannelHandlerContext) {
        let lookup = server.authenticator.lookUpSCRAM(user: user, client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(lookup, context: context) { result in
            switch result {
            case .success(.found(let found)):
                self.scramLookup = found
                self.perform(self.session.scramCredentialsFound(found.credentials), context: context)
            case .success(.lockedOut):
                self.answerLogin(.success(.lockedOut), user: user, method: .sasl(.scramSHA256), context: context)
            case .success(.busy), .failure:
                self.answerLogin(.success(.busy), user: user, method: .sasl(.scramSHA256), context: context)
            }
        }
    }

    /// The proof's verdict goes to the authenticator, which counts it as a password's would.
    func finishSCRAM(user: String, proofVerified: Bool, context: ChannelHandlerContext) {
        guard let lookup = scramLookup else { preconditionFailure("SCRAM proof without a lookup") }
        scramLookup = nil
        let outcome = server.authenticator.finishSCRAM(user: user, lookup: lookup, proofVerified: proofVerified,
                                                       client: connection.clientAddress, on: context.eventLoop)
        connection.continueAfter(outcome, context: context) { result in
            self.answerLogin(result, user: user, method: .sasl(.scramSHA256), context: context)
        }
    }

    /// The log lines POP3 and SMTP write (`LoginLog`), then the session's answer.
    func answerLogin(_ result: Result<LoginOutcome, any Error>, user: String, method: IMAPLoginMethod,
                     context: ChannelHandlerContext) {
        switch LoginLog(logger: logger).record(result, method: method.logName, user: user) {
        case .verified(let mailbox):
            self.mailbox = mailbox
            perform(session.credentialsVerified("\(mailbox)"), context: context)
        case .rejected:
            perform(session.credentialsVerified(nil), context: context)
        case .lockedOut:
            perform(session.loginRefused(.lockedOut), context: context)
        case .busy:
            perform(session.loginRefused(.unavailable), context: context)
        }
    }

    /// After the credentials: the per-user-and-address bound, then the user's mail opened
    /// (the Maildir and the special-use folders made when missing) on a storage thread.
    func openAccount(context: ChannelHandlerContext) {
        guard let mailbox else { preconditionFailure("an account without a mailbox") }
        let slot = "\(mailbox)\n\(connection.clientAddress)"
        let maximum = config.imap.maxUserConnectionsPerIP
        if server.userConnections.acquire(slot, maximumTotal: .max, maximumPerAddress: maximum) != nil {
            // Dovecot's answer to mail_max_userip_connections: the login's tagged NO [UNAVAILABLE];
            // the connection stays, not logged in.
            logger.notice("login refused: too many connections for this user from this address",
                          metadata: ["user": "\(mailbox)"])
            self.mailbox = nil
            perform(session.loginRefused(.tooManyUserConnections(maximum)), context: context)
            return
        }
        userSlot = slot
        let maildir = "\(server.mailRoot)/\(mailbox.domain)/\(mailbox.localPart)"
        let store = server.mailStore
        let opening = server.storageThreads.runIfActive(eventLoop: context.eventLoop) {
            try store.store.openAccount(maildir: maildir)
        }
        connection.continueAfter(opening, context: context) { result in
            switch result {
            case .success(let account):
                self.account = account
                self.perform(self.session.accountOpened(), context: context)
            case .failure(let error):
                self.logger.error("cannot open mailbox: \(error)", metadata: ["user": "\(mailbox)"])
                self.server.userConnections.release(slot)
                self.userSlot = nil
                self.mailbox = nil
                self.perform(self.session.loginRefused(.unavailable), context: context)
            }
        }
    }
}
