import AccountDirectory
import MaildirStore
import NIOCore
import NIOPosix
import SMTPProtocol

/// Where one RCPT resolved to: local mailboxes and, through aliases, remote addresses.
public struct ResolvedRecipient: Sendable, Equatable {
    public var mailboxes: [LocalMailbox]
    public var remoteAddresses: [String]
}

/// Asks the account directory about recipients, off the event loop.
struct RecipientResolver: Sendable {
    let directory: any AccountDirectory
    let threadPool: NIOThreadPool

    func verdict(for mailbox: SMTPMailbox, recipientDelimiter: String?,
                 on eventLoop: any EventLoop) -> EventLoopFuture<RecipientVerdict<ResolvedRecipient>> {
        threadPool.runIfActive(eventLoop: eventLoop) { [directory] in
            Self.resolve(mailbox, recipientDelimiter: recipientDelimiter, directory: directory)
        }.recover { _ in .temporaryFailure }
    }

    static func resolve(_ mailbox: SMTPMailbox, recipientDelimiter: String?,
                        directory: any AccountDirectory) -> RecipientVerdict<ResolvedRecipient> {
        do {
            var domain = mailbox.domain
            if mailbox.isBarePostmaster {
                // RFC 5321 §4.5.1: "<Postmaster>" is the postmaster of the primary domain.
                guard let primary = try directory.listDomains().first else { return .unknownUser }
                domain = primary
            }
            switch try directory.lookupRecipient(localPart: mailbox.localPart, domain: domain,
                                                 recipientDelimiter: recipientDelimiter) {
            case .notLocalDomain:
                return .relayDenied
            case .unknownUser:
                return .unknownUser
            case .deliver(let expansion):
                let mailboxes = expansion.mailboxes.map { LocalMailbox(domain: $0.domain, localPart: $0.localPart) }
                return .accept(ResolvedRecipient(mailboxes: mailboxes, remoteAddresses: expansion.remoteAddresses))
            }
        } catch {
            return .temporaryFailure
        }
    }
}
