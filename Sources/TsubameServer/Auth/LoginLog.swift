import Logging

/// The log lines of a login's outcome, the same for SMTP AUTH, POP3 and IMAP so that one
/// fail2ban filter reads all three: `sasl_method` and `sasl_username` (the name as the client
/// gave it; the connection's logger adds `client`). Never the password nor any SASL message.
struct LoginLog {
    let logger: Logger

    static func fields(method: String, user: String) -> Logger.Metadata {
        ["sasl_method": "\(method)", "sasl_username": "\(user)"]
    }

    func verified(method: String, user: String) {
        logger.info("login", metadata: Self.fields(method: method, user: user))
    }

    func rejected(method: String, user: String) {
        logger.notice("authentication failed", metadata: Self.fields(method: method, user: user))
    }

    func lockedOut(method: String, user: String) {
        logger.notice("login refused: locked out after repeated failures", metadata: Self.fields(method: method, user: user))
    }

    func busy(method: String, user: String) {
        logger.warning("login refused: too many password checks pending", metadata: Self.fields(method: method, user: user))
    }

    /// Logs the authenticator's answer and returns it, a failure of the directory counted as
    /// `.busy` (nothing was checked, nothing counts as a failure).
    func record(_ result: Result<LoginOutcome, any Error>, method: String, user: String) -> LoginOutcome {
        switch result {
        case .success(.verified(let mailbox)):
            verified(method: method, user: user)
            return .verified(mailbox)
        case .success(.rejected):
            // Unknown account and wrong password: one line, as the client gets one reply.
            rejected(method: method, user: user)
            return .rejected
        case .success(.lockedOut):
            lockedOut(method: method, user: user)
            return .lockedOut
        case .success(.busy), .failure:
            busy(method: method, user: user)
            return .busy
        }
    }
}
