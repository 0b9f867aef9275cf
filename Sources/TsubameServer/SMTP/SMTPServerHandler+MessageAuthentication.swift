import MailAuthentication
import NIOCore
import ProtocolSupport
import SMTPProtocol

/// The end of a message's content: SPF, DKIM and DMARC for mail from other servers, a DKIM
/// signature for mail our users send on.
extension SMTPServerHandler {
    /// `.checkMessage`: the checks run off the event loop (DNS); input stays paused meanwhile.
    func checkMessage(context: ChannelHandlerContext) {
        guard let transfer, let envelope = session.envelope, let greeting = session.greeting else {
            preconditionFailure("a message check without a message")
        }
        guard let inbound = server.authentication.inbound, let scanned = transfer.finishDKIMScan() else {
            perform(session.messageVerdict(.accept), context: context)
            return
        }
        let mailFrom: String
        switch envelope.reversePath {
        case .null: mailFrom = ""
        case .mailbox(let mailbox): mailFrom = "\(mailbox)"
        }
        let input = InboundCheckInput(clientIP: connection.clientAddress, heloName: greeting.name, mailFrom: mailFrom,
                                      message: scanned, receiver: inbound.receiver)
        let deciding = context.eventLoop.makeFutureWithLoopTask { await inbound.decide(input) }
        connection.continueAfter(deciding, context: context) { result in
            // The transfer may be gone: the client disconnected while the checks ran.
            guard let transfer = self.transfer else { return }
            let decision: InboundChecking.Decision
            let summary: String
            switch result {
            case .success(let (madeDecision, madeSummary)): (decision, summary) = (madeDecision, madeSummary)
            case .failure: (decision, summary) = (.refuse(SMTPReply(451, "4.7.0", "Authentication checks failed; try again later")), "error")
            }
            switch decision {
            case .accept(let fields, let quarantined):
                transfer.addedHeaderFields = fields
                self.logger.info("checked", metadata: ["id": "\(transfer.id)", "auth": "\(summary)",
                                                       "quarantine": "\(quarantined ? "yes" : "no")"])
                self.perform(self.session.messageVerdict(.accept), context: context)
            case .refuse(let reply):
                self.logger.notice("message refused by authentication checks",
                                   metadata: ["id": "\(transfer.id)", "auth": "\(summary)", "reply": "\(reply)"])
                self.perform(self.session.messageVerdict(.refuse(reply)), context: context)
            }
        }
    }

    /// A submission for remote recipients gets its DKIM signatures, kept beside the queued
    /// copy (the file is never rewritten for them). Local recipients read it unsigned.
    func sign(_ transfer: MessageTransfer) {
        guard let keys = server.authentication.signingKeys, transfer.hasRemoteRecipients,
              let message = transfer.messageForSigning() else { return }
        let fields = keys.signatureFields(for: message, logger: logger)
        if !fields.isEmpty { transfer.queueHeaderPrefix = Array(fields.utf8) }
    }
}
