// CONTRACT (helper SPF/DMARC fills in; public signatures stay).

public enum DMARCResult: String, Sendable {
    case none, pass, fail, temperror, permerror
}

public enum DMARCPolicy: String, Sendable {
    case none, quarantine, reject
}

public struct DMARCOutcome: Sendable, Equatable {
    public var result: DMARCResult
    /// The header From's domain (header.from); nil when the message has no single From domain.
    public var fromDomain: String?
    /// The policy the record asks for this message: p= (or sp= for a subdomain of the
    /// organizational domain), nil when there is no record. `pct=` sampled: a message outside
    /// the percentage gets the next lower policy (RFC 7489 §6.6.4).
    public var policy: DMARCPolicy?
    /// What the record says before pct= (for the log and the AR comment).
    public var requestedPolicy: DMARCPolicy?
    public var reason: String

    public init(result: DMARCResult, fromDomain: String?, policy: DMARCPolicy?, requestedPolicy: DMARCPolicy?,
                reason: String) {
        self.result = result
        self.fromDomain = fromDomain
        self.policy = policy
        self.requestedPolicy = requestedPolicy
        self.reason = reason
    }
}

/// RFC 7489 §6.6: the record at _dmarc.FROM-DOMAIN, else at _dmarc.ORGANIZATIONAL-DOMAIN;
/// aligned SPF (the MAIL FROM domain, aspf=) or aligned DKIM (a passing d=, adkim=), relaxed
/// alignment comparing organizational domains.
public struct DMARCEvaluator: Sendable {
    public init(dns: any MailAuthDNS, publicSuffixes: PublicSuffixList) { fatalError("contract") }

    /// `spf` is the MAIL FROM check (its domain is the one aligned; for a null reverse path
    /// the HELO check, §3.1.2?). `percentRoll` is a number in 0..<100 for pct= sampling
    /// (random in the server, fixed in tests).
    public func evaluate(fromDomain: String?, spf: SPFOutcome, dkim: [DKIMVerification],
                         percentRoll: Int) async -> DMARCOutcome { fatalError("contract") }
}
