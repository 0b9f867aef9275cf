import DNSClient

public enum DMARCResult: String, Sendable {
    case none, pass, fail, temperror, permerror
}

public enum DMARCPolicy: String, Sendable {
    case none, quarantine, reject

    /// RFC 7489 §6.3 pct=: a message outside the sample gets the next lower policy.
    var nextLower: DMARCPolicy {
        switch self {
        case .reject: .quarantine
        case .quarantine, .none: .none
        }
    }
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
    let dns: any MailAuthDNS
    let publicSuffixes: PublicSuffixList

    public init(dns: any MailAuthDNS, publicSuffixes: PublicSuffixList) {
        self.dns = dns
        self.publicSuffixes = publicSuffixes
    }

    /// `spf` is the MAIL FROM check: its domain is the one aligned (for a null reverse path
    /// it is the HELO name, as RFC 7489 §3.1.2's note on RFC 7208 §2.4 has it). `percentRoll`
    /// is a number in 0..<100 for pct= sampling (random in the server, fixed in tests).
    public func evaluate(fromDomain: String?, spf: SPFOutcome, dkim: [DKIMVerification],
                         percentRoll: Int) async -> DMARCOutcome {
        // §6.6.1: a message without exactly one From domain cannot be evaluated. permerror
        // (§11.2: "a later attempt is unlikely to produce a final result") rather than none,
        // so the log and the field tell it apart from a domain without a policy.
        guard var from = fromDomain?.lowercased(), !from.isEmpty else {
            return DMARCOutcome(result: .permerror, fromDomain: nil, policy: nil, requestedPolicy: nil,
                                reason: "the message has no single From domain (RFC 7489 §6.6.1)")
        }
        if from.hasSuffix(".") { from.removeLast() }
        let organizational = publicSuffixes.organizationalDomain(of: from)

        // §6.6.3: the From domain first, then the organizational domain.
        var discovery = await discover(at: from)
        var foundAtOrganizational = false
        if case .absent = discovery, organizational != from {
            discovery = await discover(at: organizational)
            foundAtOrganizational = true
        }
        let record: DMARCRecord
        switch discovery {
        case .absent:
            return DMARCOutcome(result: .none, fromDomain: from, policy: nil, requestedPolicy: nil,
                                reason: "no DMARC record for \(from)")
        case .several(let name):
            return DMARCOutcome(result: .none, fromDomain: from, policy: nil, requestedPolicy: nil,
                                reason: "several DMARC records at \(name) (RFC 7489 §6.6.3: none applied)")
        case .failed(let reason):
            return DMARCOutcome(result: .temperror, fromDomain: from, policy: nil, requestedPolicy: nil, reason: reason)
        case .found(let found):
            record = found
        }
        let recordName = "_dmarc." + (foundAtOrganizational ? organizational : from)

        // §6.6.3 step 6: a bad or missing p= (or a bad sp=) leaves a record with a valid rua=
        // as p=none; without one, DMARC is not applied.
        var requested: DMARCPolicy
        if let policy = record.policy, !record.subdomainPolicyInvalid {
            // §6.3 sp=: for subdomains of the organizational domain where the record was found
            // there; p= otherwise (and when sp= is absent).
            requested = foundAtOrganizational ? (record.subdomainPolicy ?? policy) : policy
        } else if record.hasValidReportURI {
            requested = .none
        } else {
            return DMARCOutcome(result: .none, fromDomain: from, policy: nil, requestedPolicy: nil,
                                reason: "the record at \(recordName) has no valid p= and no rua= (RFC 7489 §6.6.3)")
        }
        let sampled = percentRoll < record.percent ? requested : requested.nextLower
        var outcome = DMARCOutcome(result: .fail, fromDomain: from, policy: sampled, requestedPolicy: requested, reason: "")

        // §3.1: identifier alignment.
        if spf.result == .pass, aligned(spf.domain, from, record.spfAlignment) {
            outcome.result = .pass
            outcome.reason = "SPF pass aligned with \(spf.domain)"
            return outcome
        }
        if let signature = dkim.first(where: { $0.result == .pass && aligned($0.domain, from, record.dkimAlignment) }) {
            outcome.result = .pass
            outcome.reason = "DKIM pass aligned with d=\(signature.domain)"
            return outcome
        }
        // A temporary failure of an aligned identifier could still turn into a pass: temperror
        // (RFC 7489 §11.2: "a later attempt might produce a final result").
        let spfPending = spf.result == .temperror && aligned(spf.domain, from, record.spfAlignment)
        let dkimPending = dkim.contains { $0.result == .temperror && aligned($0.domain, from, record.dkimAlignment) }
        if spfPending || dkimPending {
            outcome.result = .temperror
            outcome.reason = "no aligned pass yet: " + (spfPending ? "SPF" : "DKIM") + " had a temporary error"
            return outcome
        }
        outcome.reason = failureReason(spf: spf, dkim: dkim, from: from, record: record)
        return outcome
    }

    private func failureReason(spf: SPFOutcome, dkim: [DKIMVerification], from: String, record: DMARCRecord) -> String {
        var parts: [String] = []
        if spf.result == .pass {
            parts.append("SPF pass for \(spf.domain) not aligned (aspf=\(record.spfAlignment.rawValue))")
        } else {
            parts.append("SPF \(spf.result.rawValue)")
        }
        let passes = dkim.filter { $0.result == .pass }
        if passes.isEmpty {
            parts.append(dkim.isEmpty ? "no DKIM signature" : "no DKIM pass")
        } else {
            let domains = passes.map { "d=" + $0.domain }.joined(separator: ", ")
            parts.append("DKIM pass for \(domains) not aligned (adkim=\(record.dkimAlignment.rawValue))")
        }
        return parts.joined(separator: ", ") + " with \(from)"
    }

    /// §3.1.1, §3.1.2: strict means the same name; relaxed, the same organizational domain.
    func aligned(_ identifier: String, _ from: String, _ mode: DMARCRecord.Alignment) -> Bool {
        var name = identifier.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { return false }
        switch mode {
        case .strict: return name == from
        case .relaxed: return publicSuffixes.organizationalDomain(of: name) == publicSuffixes.organizationalDomain(of: from)
        }
    }

    private enum Discovery {
        case found(DMARCRecord)
        case absent
        case several(String)
        case failed(String)
    }

    /// §6.6.3 steps 1-5 for one name: records not starting with v=DMARC1 are discarded;
    /// several remaining ones stop discovery.
    private func discover(at domain: String) async -> Discovery {
        let name = "_dmarc." + domain
        switch await dns.txt(name) {
        case .records(let records, _, _):
            let texts = records.map { String(decoding: $0.strings.joined(), as: UTF8.self) }.filter(DMARCRecord.isDMARCRecord)
            if texts.count > 1 { return .several(name) }
            guard let text = texts.first, let record = DMARCRecord(parsing: text) else { return .absent }
            return .found(record)
        case .nxdomain, .noData:
            return .absent
        case .temporaryFailure(let failure):
            return .failed("DNS failure looking up TXT \(name): \(failure)")
        }
    }
}
