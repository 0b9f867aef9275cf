import AccountDirectory
import MailAuthentication
import MaildirStore
import NIOCore
import NIOPosix
import ProtocolSupport
import SMTPProtocol

/// Where one RCPT resolved to: local mailboxes and, through aliases, remote addresses.
public struct ResolvedRecipient: Sendable, Equatable {
    public var mailboxes: [LocalMailbox]
    public var remoteAddresses: [String]
}

/// Asks the directory about recipients. The directory is async (`RecipientDirectory`): the
/// SQLite adapter runs each lookup on a thread pool of its own, never on the event loop.
struct RecipientResolver: Sendable {
    let directory: any RecipientDirectory
    /// `primary_domain` from the configuration as it is now (SIGHUP may change it).
    let primaryDomain: @Sendable () -> String
    /// Bounces to the addresses SRS gave forwarded mail go back to the original senders.
    let srs: SRSBounceRouting?
    let cache: RecipientVerdictCache

    init(directory: any RecipientDirectory, primaryDomain: @escaping @Sendable () -> String,
         srs: SRSBounceRouting? = nil, acceptanceLifetime: TimeAmount = RecipientVerdictCache.defaultLifetime) {
        self.directory = directory
        self.primaryDomain = primaryDomain
        self.srs = srs
        cache = RecipientVerdictCache(lifetime: acceptanceLifetime)
    }

    /// The SQLite directory with its lookups on `threadPool`: one pool for everything, as the
    /// handler tests want it (they hold that pool to hold lookups back).
    init(directory: SQLiteAccountDirectory, threadPool: NIOThreadPool, primaryDomain: @escaping @Sendable () -> String) {
        self.init(directory: SQLiteServerDirectory(directory: directory, lookupThreads: threadPool,
                                                   hashingThreads: threadPool),
                  primaryDomain: primaryDomain)
    }

    func verdict(for mailbox: SMTPMailbox, recipientDelimiter: String?,
                 on eventLoop: any EventLoop) -> EventLoopFuture<RecipientVerdict<ResolvedRecipient>> {
        if let srs, let verdict = srs.verdict(for: mailbox) { return eventLoop.makeSucceededFuture(verdict) }
        let configuredPrimary = primaryDomain()
        let stamp = directory.changeStamp()
        let key = RecipientVerdictCache.Key(address: "\(mailbox.localPart)@\(mailbox.domain.lowercased())",
                                            recipientDelimiter: recipientDelimiter, primaryDomain: configuredPrimary)
        if let stamp, let recipient = cache.accepted(key, stamp: stamp) {
            return eventLoop.makeSucceededFuture(.accept(recipient))
        }
        return eventLoop.makeFutureWithLoopTask { [directory, cache] in
            let verdict = await Self.resolve(mailbox, recipientDelimiter: recipientDelimiter,
                                             configuredPrimary: configuredPrimary, directory: directory)
            if let stamp, case .accept(let recipient) = verdict { cache.remember(key, recipient, stamp: stamp) }
            return verdict
        }
    }

    /// RFC 5321 §4.5.1: "postmaster" must be accepted at every domain the server takes mail for,
    /// and `<Postmaster>` without a domain. `<Postmaster>` is the primary domain's postmaster; a
    /// local domain without a postmaster user or alias (or catch-all) shares the primary one's,
    /// as mox does, so no domain ever refuses its postmaster while the primary domain has one.
    static func resolve(_ mailbox: SMTPMailbox, recipientDelimiter: String?, configuredPrimary: String,
                        directory: any RecipientDirectory,
                        srs: SRSBounceRouting? = nil) async -> RecipientVerdict<ResolvedRecipient> {
        if let srs, let verdict = srs.verdict(for: mailbox) { return verdict }
        do {
            var domain = mailbox.domain
            if mailbox.isBarePostmaster {
                guard let primary = try await primaryDomain(configured: configuredPrimary, directory: directory) else {
                    return .unknownUser
                }
                domain = primary
            }
            var lookup = try await directory.lookupRecipient(localPart: mailbox.localPart, domain: domain,
                                                             recipientDelimiter: recipientDelimiter)
            if lookup == .unknownUser, mailbox.localPart.lowercased() == "postmaster",
               let primary = try await primaryDomain(configured: configuredPrimary, directory: directory),
               primary != domain.lowercased() {
                lookup = try await directory.lookupRecipient(localPart: "postmaster", domain: primary, recipientDelimiter: nil)
            }
            switch lookup {
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

    /// The configured primary domain while it is a local domain; otherwise (not set in an older
    /// data folder, or removed since) the domain added first, never merely the first by name.
    static func primaryDomain(configured: String, directory: any RecipientDirectory) async throws -> String? {
        let configured = configured.lowercased()
        if !configured.isEmpty, try await directory.isLocalDomain(configured) { return configured }
        return try await directory.firstAddedDomain()
    }
}

/// SRS addresses in our domain (what forwarded mail was sent from): a bounce to one goes back
/// to the original sender; a forged or expired one is refused, so the SRS domain is no relay.
struct SRSBounceRouting: Sendable {
    let rewriter: SRSRewriter
    let domain: String

    /// nil: not an SRS address of ours, resolve it as usual.
    func verdict(for mailbox: SMTPMailbox) -> RecipientVerdict<ResolvedRecipient>? {
        guard mailbox.domain.lowercased() == domain.lowercased() else { return nil }
        let local = mailbox.localPart.uppercased()
        guard local.hasPrefix("SRS0=") || local.hasPrefix("SRS1=") else { return nil }
        switch rewriter.reverse("\(mailbox)") {
        case .address(let original):
            return .accept(ResolvedRecipient(mailboxes: [], remoteAddresses: [original]))
        case .invalid:
            return .unknownUser
        case .notSRS:
            return nil
        }
    }
}
