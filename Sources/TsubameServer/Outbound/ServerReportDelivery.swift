#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AccountDirectory
import DeliveryReports
import MailQueue
import MaildirStore
import NIOCore
import OutboundDelivery
import SMTPProtocol

/// Stores the queue's reports (DSNs) as the SMTP server stores a message: a local sender's
/// report goes into their Maildir at once; a remote sender's into the queue, from `<>`
/// (RFC 5321 §4.5.5), through the same durable `MaildirStore` path.
struct ServerReportDelivery: ReportDelivery {
    let directory: any RecipientDirectory
    let store: MaildirStore
    let group: any EventLoopGroup
    let hostname: String
    let primaryDomain: @Sendable () -> String

    var postmasterAddress: String {
        let domain = primaryDomain()
        return domain.isEmpty ? "postmaster" : "postmaster@\(domain)"
    }

    func deliver(_ report: DeliveryReport, to recipient: String, localOnly: Bool) async throws -> Bool {
        let mailbox: SMTPMailbox
        if let at = recipient.lastIndex(of: "@") {
            mailbox = SMTPMailbox(localPart: String(recipient[..<at]), domain: String(recipient[recipient.index(after: at)...]))
        } else {
            mailbox = SMTPMailbox(localPart: recipient, domain: "")  // <Postmaster> of the primary domain
        }
        let verdict = await RecipientResolver.resolve(mailbox, recipientDelimiter: "+",
                                                      configuredPrimary: primaryDomain(), directory: directory)
        let plan: DeliveryPlan
        switch verdict {
        case .accept(let resolved):
            // A report carries no DSN parameters of its own (it goes from <>, RFC 3461 §6.2).
            let remote = localOnly ? [] : resolved.remoteAddresses.map { NewQueuedRecipient(address: $0) }
            plan = DeliveryPlan(mailboxes: resolved.mailboxes, remoteRecipients: remote,
                                reversePath: "", needs8BitMIME: report.requires8BitMIME,
                                needsSMTPUTF8: report.requiresSMTPUTF8)
        case .relayDenied where !localOnly:
            plan = DeliveryPlan(mailboxes: [], remoteRecipients: [NewQueuedRecipient(address: recipient)], reversePath: "",
                                needs8BitMIME: report.requires8BitMIME, needsSMTPUTF8: report.requiresSMTPUTF8)
        case .temporaryFailure:
            throw ReportStorageError.directoryUnavailable
        case .relayDenied, .unknownUser, .recipientLimitReached:
            // A local sender that no longer exists: nobody to tell (Postfix drops it too).
            return false
        }
        guard !plan.mailboxes.isEmpty || !plan.remoteRecipients.isEmpty else { return false }
        let name = MaildirName.make(hostname: hostname)
        let date = RFC5322Date.format(secondsSince1970: Int(time(nil)))
        // RFC 5321 §4.4: the trace fields; the report itself comes from <>.
        let trace = "Return-Path: <>\nReceived: by \(hostname) (Tsubame) id \(name.id);\n\t\(date)\n"
        let eventLoop = group.next()
        let message = store.beginMessage(name: name, traceHeaders: trace, plan: plan)
        _ = try await message.commit(ByteBuffer(bytes: report.bytes), on: eventLoop).get()
        return true
    }
}

enum ReportStorageError: Error, CustomStringConvertible {
    case directoryUnavailable
    var description: String { "the account directory could not be read" }
}
