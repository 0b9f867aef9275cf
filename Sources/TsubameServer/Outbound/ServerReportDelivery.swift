#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AccountDirectory
import DeliveryReports
import Logging
import MailAuthentication
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
    /// DKIM keys for reports that leave (their From is MAILER-DAEMON@hostname: signed with the
    /// key of the hostname's closest domain that has one), and SRS to send a bounce for
    /// forwarded mail back to its original sender.
    var authentication: MessageAuthentication = .disabled
    var logger = Logger(label: "delivery")

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
                                                      configuredPrimary: primaryDomain(), directory: directory,
                                                      srs: authentication.srs)
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
        _ = try await message.commit(ByteBuffer(bytes: report.bytes), queueHeaderPrefix: signature(for: report, plan),
                                     on: eventLoop).get()
        return true
    }
}

extension ServerReportDelivery {
    /// DKIM-Signature fields for a report that goes to the queue; nil for local ones.
    func signature(for report: DeliveryReport, _ plan: DeliveryPlan) -> [UInt8]? {
        guard let keys = authentication.signingKeys, !plan.remoteRecipients.isEmpty else { return nil }
        var scanner = DKIMContentScanner(purpose: .signing)
        report.bytes.withUnsafeBytes { scanner.scan($0) }
        let fields = keys.signatureFields(for: scanner.finish(), logger: logger)
        return fields.isEmpty ? nil : Array(fields.utf8)
    }
}

enum ReportStorageError: Error, CustomStringConvertible {
    case directoryUnavailable
    var description: String { "the account directory could not be read" }
}
