import DNSClient
import Foundation

/// RFC 7208 §2.6.
public enum SPFResult: String, Sendable {
    case none, neutral, pass, fail, softfail, temperror, permerror
}

public struct SPFOutcome: Sendable, Equatable {
    public var result: SPFResult
    /// The domain whose policy was checked (MAIL FROM's domain, or the HELO name).
    public var domain: String
    /// What decided it, for the Authentication-Results comment and the log
    /// ("matched ip4:192.0.2.0/24", "no SPF record", "too many DNS lookups").
    public var reason: String
    /// exp= text for a fail (RFC 7208 §6.2), when the policy gave one.
    public var explanation: String?

    public init(result: SPFResult, domain: String, reason: String, explanation: String? = nil) {
        self.result = result
        self.domain = domain
        self.reason = reason
        self.explanation = explanation
    }
}

/// check_host() (RFC 7208 §4, §5, §6, §7): every mechanism (all, include, a, mx, ptr, ip4,
/// ip6, exists), redirect= and exp=, macros; at most 10 DNS-querying terms and 2 void
/// lookups (permerror beyond, §4.6.4), 10 MX/PTR names each.
public struct SPFEvaluator: Sendable {
    let dns: any MailAuthDNS
    /// Seconds since 1970, for %{t} in exp= text (§7.2).
    let clock: @Sendable () -> Int

    public init(dns: any MailAuthDNS) {
        self.init(dns: dns, clock: { Int(Date().timeIntervalSince1970) })
    }

    init(dns: any MailAuthDNS, clock: @escaping @Sendable () -> Int) {
        self.dns = dns
        self.clock = clock
    }

    /// `clientIP` as text ("192.0.2.1", "2001:db8::1"; an IPv4-mapped IPv6 address counts as
    /// IPv4). `sender` is MAIL FROM's mailbox, or "postmaster@HELO" for a null reverse path
    /// and for the HELO check (§2.3, §2.4); `domain` is the sender's domain (or the HELO
    /// name). `receiver` is our hostname (the %{r} macro).
    public func checkHost(clientIP: String, domain: String, sender: String, helo: String,
                          receiver: String) async -> SPFOutcome {
        var name = domain.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard let client = SPFAddress(clientIP) else {
            return SPFOutcome(result: .permerror, domain: name, reason: "client address \(clientIP) is not an IP address")
        }
        // §4.3: a malformed domain (empty or over-long labels, a single label) has no policy.
        guard SPFCheck.isQueryableDomain(name) else {
            return SPFOutcome(result: .none, domain: name, reason: "\"\(domain)\" is not a fully qualified domain name")
        }
        var check = SPFCheck(dns: dns, client: client, sender: sender, helo: helo, receiver: receiver, now: clock())
        do throws(SPFStop) {
            let verdict = try await check.evaluate(domain: name, depth: 0, wantsExplanation: true)
            return SPFOutcome(result: verdict.result, domain: name, reason: verdict.reason, explanation: verdict.explanation)
        } catch {
            switch error {
            case .permanent(let reason): return SPFOutcome(result: .permerror, domain: name, reason: reason)
            case .temporary(let reason): return SPFOutcome(result: .temperror, domain: name, reason: reason)
            }
        }
    }
}
