import DNSClient
import Foundation
import Logging
import MailAuthentication
import NIOConcurrencyHelpers
import NIOCore
import SMTPProtocol
import TsubameConfig

/// What the SMTP connections share for message authentication: the inbound checks of the MX
/// (`[checks]`), the DKIM keys submissions and reports are signed with (`[dkim]`), and SRS
/// for forwarded mail (`[srs]`). Each part is nil when switched off.
final class MessageAuthentication: Sendable {
    let inbound: InboundChecking?
    let signingKeys: DKIMSigningKeys?
    let srs: SRSBounceRouting?

    init(inbound: InboundChecking?, signingKeys: DKIMSigningKeys?, srs: SRSBounceRouting?) {
        self.inbound = inbound
        self.signingKeys = signingKeys
        self.srs = srs
    }

    /// Nothing checked, signed or rewritten (tools, handler tests).
    static let disabled = MessageAuthentication(inbound: nil, signingKeys: nil, srs: nil)

    static func make(_ configuration: TsubameConfiguration, dataDirectory: String,
                     resolver: DNSResolver) throws -> MessageAuthentication {
        var inbound: InboundChecking?
        if configuration.checks.enabled {
            let checks = configuration.checks
            let authservID = checks.authservID.isEmpty ? configuration.hostname : checks.authservID
            inbound = InboundChecking(
                check: InboundCheck(dns: resolver, publicSuffixes: PublicSuffixList.load(), authservID: authservID),
                authservID: authservID,
                policy: InboundPolicy(rejectDMARCFailures: checks.dmarcReject,
                                      spfFail: InboundPolicy.SPFFailAction(rawValue: checks.spfFail) ?? .mark),
                maximumSignatures: checks.maxSignatures, timeout: .seconds(checks.timeout), receiver: configuration.hostname)
        }
        let signingKeys = configuration.dkim.sign ? DKIMSigningKeys(store: DKIMKeyStore(dataDirectory: dataDirectory)) : nil
        var srs: SRSBounceRouting?
        if configuration.srs.enabled {
            let domain = configuration.srs.domain.isEmpty ? configuration.primaryDomain : configuration.srs.domain
            if !domain.isEmpty {
                let secret = try SRSSecret.load(dataDirectory: dataDirectory)
                srs = SRSBounceRouting(
                    rewriter: SRSRewriter(secret: secret, domain: domain, maximumAgeDays: configuration.srs.maxAgeDays),
                    domain: domain)
            }
        }
        return MessageAuthentication(inbound: inbound, signingKeys: signingKeys, srs: srs)
    }
}

/// SPF, DKIM and DMARC for a message received on port 25, bounded in time, and what the
/// site's policy makes of them.
struct InboundChecking: Sendable {
    let check: InboundCheck
    let authservID: String
    let policy: InboundPolicy
    let maximumSignatures: Int
    let timeout: Duration
    let receiver: String

    /// What to do with the message: store it with these header fields above it, or refuse it.
    enum Decision: Sendable {
        case accept(addedHeaderFields: String, quarantined: Bool)
        case refuse(SMTPReply)
    }

    /// The decision and a summary for the log ("spf=pass dkim=pass dmarc=pass").
    func decide(_ input: InboundCheckInput) async -> (Decision, String) {
        guard let outcome = await outcomeWithin(timeout, input) else {
            // RFC 7489 §6.6.3 and RFC 7208 §2.6.6: a lookup that did not complete is temporary.
            return (.refuse(SMTPReply(451, "4.7.0", "Authentication checks did not complete in time; try again later")),
                    "timeout")
        }
        let summary = Self.summary(outcome)
        switch policy.verdict(for: outcome) {
        case .accept(let quarantine):
            var fields = outcome.authenticationResults
            if quarantine { fields += Self.quarantineField(outcome) }
            return (.accept(addedHeaderFields: fields, quarantined: quarantine), summary)
        case .reject(let enhancedCode, let text):
            return (.refuse(SMTPReply(550, enhancedCode, text)), summary)
        case .tryAgain(let enhancedCode, let text):
            return (.refuse(SMTPReply(451, enhancedCode, text)), summary)
        }
    }

    private func outcomeWithin(_ timeout: Duration, _ input: InboundCheckInput) async -> InboundCheckOutcome? {
        let check = self.check
        return await withTaskGroup(of: InboundCheckOutcome?.self) { group in
            group.addTask {
                await check.check(input, now: Int(Date().timeIntervalSince1970), percentRoll: Int.random(in: 0..<100))
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// A message the policy lets through but marks (DMARC p=quarantine, or an SPF fail under
    /// spf_fail = "mark"): mail clients and filters can act on the field; IMAP files it in
    /// Junk once it exists.
    static func quarantineField(_ outcome: InboundCheckOutcome) -> String {
        let reason = outcome.dmarc.result == .fail ? "dmarc=fail" : "spf=\(outcome.spf.result.rawValue)"
        return "X-Tsubame-Quarantine: yes (\(reason))\n"
    }

    static func summary(_ outcome: InboundCheckOutcome) -> String {
        let dkim = outcome.dkim.isEmpty ? "none" : outcome.dkim.map(\.result.rawValue).joined(separator: ",")
        return "spf=\(outcome.spf.result.rawValue) dkim=\(dkim) dmarc=\(outcome.dmarc.result.rawValue)"
    }
}

/// The active DKIM keys of each domain, read from the data folder and kept for a minute, so
/// that `tsubame dkim activate` reaches a running server without a restart.
final class DKIMSigningKeys: Sendable {
    private struct Cached {
        var signers: [DKIMSigner]
        var loaded: NIODeadline
    }

    private static let lifetime = TimeAmount.seconds(60)
    private let store: DKIMKeyStore
    private let cache = NIOLockedValueBox<[String: Cached]>([:])

    init(store: DKIMKeyStore) {
        self.store = store
    }

    /// The signers for a From domain: its own active keys or its closest parent's.
    func signers(forFromDomain fromDomain: String) -> [DKIMSigner] {
        let now = NIODeadline.now()
        if let cached = cache.withLockedValue({ $0[fromDomain] }), now - cached.loaded < Self.lifetime {
            return cached.signers
        }
        var signers: [DKIMSigner] = []
        if let domain = store.signingDomain(for: fromDomain) {
            signers = (try? store.signers(forDomain: domain)) ?? []
        }
        cache.withLockedValue { $0[fromDomain] = Cached(signers: signers, loaded: now) }
        return signers
    }

    /// DKIM-Signature fields for `message` (one per active key, RSA first), LF line ends;
    /// empty when its From domain has no key. A key that fails to sign is logged and skipped:
    /// the message still goes, unsigned by it.
    func signatureFields(for message: ScannedMessage, logger: Logger) -> String {
        guard let fromDomain = message.fromDomain else { return "" }
        var fields = ""
        let now = Int(Date().timeIntervalSince1970)
        for signer in signers(forFromDomain: fromDomain) {
            do {
                fields += try signer.signatureField(for: message, timestamp: now)
            } catch {
                logger.error("DKIM signing failed", metadata: ["domain": "\(signer.domain)", "selector": "\(signer.selector)",
                                                               "error": "\(error)"])
            }
        }
        return fields
    }
}
