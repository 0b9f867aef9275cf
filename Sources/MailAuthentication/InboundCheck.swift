/// What the server knows of a message received on port 25.
public struct InboundCheckInput: Sendable {
    public var clientIP: String
    public var heloName: String
    /// MAIL FROM's mailbox; empty for the null reverse path.
    public var mailFrom: String
    public var message: ScannedMessage
    /// Our hostname, for SPF's %{r}.
    public var receiver: String

    public init(clientIP: String, heloName: String, mailFrom: String, message: ScannedMessage, receiver: String) {
        self.clientIP = clientIP
        self.heloName = heloName
        self.mailFrom = mailFrom
        self.message = message
        self.receiver = receiver
    }
}

public struct InboundCheckOutcome: Sendable {
    public var spf: SPFOutcome
    public var heloSPF: SPFOutcome
    public var dkim: [DKIMVerification]
    public var dmarc: DMARCOutcome
    /// The Authentication-Results field to add (LF line ends, ending in LF).
    public var authenticationResults: String

    public init(spf: SPFOutcome, heloSPF: SPFOutcome, dkim: [DKIMVerification], dmarc: DMARCOutcome,
                authenticationResults: String) {
        self.spf = spf
        self.heloSPF = heloSPF
        self.dkim = dkim
        self.dmarc = dmarc
        self.authenticationResults = authenticationResults
    }
}

/// SPF (MAIL FROM and HELO), DKIM and DMARC for one message, their lookups in parallel.
public struct InboundCheck: Sendable {
    let dns: any MailAuthDNS
    let publicSuffixes: PublicSuffixList
    let authservID: String

    public init(dns: any MailAuthDNS, publicSuffixes: PublicSuffixList, authservID: String) {
        self.dns = dns
        self.publicSuffixes = publicSuffixes
        self.authservID = authservID
    }

    /// `now` is seconds since 1970; `percentRoll` as `DMARCEvaluator.evaluate`.
    public func check(_ input: InboundCheckInput, now: Int, percentRoll: Int) async -> InboundCheckOutcome {
        let spfEvaluator = SPFEvaluator(dns: dns)
        let helo = input.heloName
        let heloIsDomain = Self.isDomainName(helo)
        // RFC 7208 §2.4: for a null reverse path the MAIL FROM identity is postmaster@HELO.
        let nullPath = input.mailFrom.isEmpty
        let mailFromDomain = nullPath ? helo : Self.domain(of: input.mailFrom)
        let sender = nullPath ? "postmaster@" + helo : input.mailFrom

        // SPF and DKIM need only DNS, so their lookups run side by side; DMARC needs both.
        async let mailFromCheck = Self.mailFromCheck(spfEvaluator, input, domain: mailFromDomain, sender: sender,
                                                     wanted: !nullPath || heloIsDomain)
        async let heloCheck = Self.heloCheck(spfEvaluator, input, wanted: heloIsDomain && !nullPath)
        async let dkimCheck = DKIMVerifier(dns: dns).verify(input.message, now: now)
        let spf = await mailFromCheck
        // RFC 7208 §2.3: a HELO that is not a domain name (an address literal) has no policy;
        // with a null reverse path the MAIL FROM check already was the HELO check.
        let heloSPF = await heloCheck ?? (nullPath && heloIsDomain ? spf
            : SPFOutcome(result: .none, domain: helo, reason: "HELO name is not a domain name"))
        let dkim = await dkimCheck
        let dmarc = await DMARCEvaluator(dns: dns, publicSuffixes: publicSuffixes)
            .evaluate(fromDomain: input.message.fromDomain, spf: spf, dkim: dkim, percentRoll: percentRoll)
        let field = AuthenticationResultsField.render(authservID: authservID, spf: spf, mailFrom: input.mailFrom,
                                                      helo: heloSPF, heloName: helo, dkim: dkim, dmarc: dmarc)
        return InboundCheckOutcome(spf: spf, heloSPF: heloSPF, dkim: dkim, dmarc: dmarc, authenticationResults: field)
    }

    /// RFC 7208 §2.4: with a null reverse path and a HELO that is no domain name (an address
    /// literal), there is no identity to check: none, without a lookup.
    private static func mailFromCheck(_ evaluator: SPFEvaluator, _ input: InboundCheckInput, domain: String, sender: String,
                                      wanted: Bool) async -> SPFOutcome {
        guard wanted else {
            return SPFOutcome(result: .none, domain: domain, reason: "null reverse path and the HELO name is not a domain name")
        }
        return await evaluator.checkHost(clientIP: input.clientIP, domain: domain, sender: sender, helo: input.heloName,
                                         receiver: input.receiver)
    }

    private static func heloCheck(_ evaluator: SPFEvaluator, _ input: InboundCheckInput, wanted: Bool) async -> SPFOutcome? {
        guard wanted else { return nil }
        return await evaluator.checkHost(clientIP: input.clientIP, domain: input.heloName, sender: "postmaster@" + input.heloName,
                                         helo: input.heloName, receiver: input.receiver)
    }

    /// The part after the last "@", lower-cased.
    static func domain(of mailbox: String) -> String {
        guard let at = mailbox.lastIndex(of: "@") else { return mailbox.lowercased() }
        return mailbox[mailbox.index(after: at)...].lowercased()
    }

    /// A dotted name of letters, digits and hyphens (not an address literal like "[192.0.2.1]").
    static func isDomainName(_ name: String) -> Bool {
        var body = Substring(name)
        if body.hasSuffix(".") { body = body.dropLast() }
        let labels = body.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && body.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
                && label.first != "-" && label.last != "-"
        } && !labels.last!.allSatisfy(\.isNumber)
    }
}

/// What the site does with the results (`[checks]` in tsubame.toml).
public struct InboundPolicy: Sendable, Equatable {
    public enum SPFFailAction: String, Sendable { case mark, reject }

    /// DMARC p=reject failures are refused with 550 5.7.1.
    public var rejectDMARCFailures: Bool
    /// An SPF fail (`-all`) when the From domain has no DMARC record.
    public var spfFail: SPFFailAction

    public init(rejectDMARCFailures: Bool = true, spfFail: SPFFailAction = .mark) {
        self.rejectDMARCFailures = rejectDMARCFailures
        self.spfFail = spfFail
    }

    public enum Verdict: Sendable, Equatable {
        /// Store it; `quarantine`: mark it (DMARC p=quarantine failed, or spf_fail = "mark").
        case accept(quarantine: Bool)
        /// 550 with this enhanced code (5.7.1 for DMARC, 5.7.23 for SPF, RFC 7372) and text.
        case reject(enhancedCode: String, text: String)
        /// 451 with this enhanced code (4.7.x) and text: a temperror that could change the outcome.
        case tryAgain(enhancedCode: String, text: String)
    }

    /// The order follows RFC 7489 §6.6.4/§6.7: a DMARC record decides when there is one; only
    /// without one does the SPF result (from `spf_fail`) matter.
    public func verdict(for outcome: InboundCheckOutcome) -> Verdict {
        let dmarc = outcome.dmarc
        let from = dmarc.fromDomain ?? "the sender"
        switch dmarc.result {
        case .fail:
            switch dmarc.policy ?? DMARCPolicy.none {
            case .reject where rejectDMARCFailures:
                // 5.7.1 "Delivery not authorized, message refused" (RFC 3463 §3.8), the code
                // receivers use for DMARC refusals; RFC 7372 has none specific to DMARC.
                return .reject(enhancedCode: "5.7.1", text: "DMARC policy of \(from) rejects the message: \(dmarc.reason)")
            case .reject, .quarantine:
                // §6.6.4: a p=reject we choose not to enforce is at least quarantined.
                return .accept(quarantine: true)
            case .none:
                return .accept(quarantine: false)
            }
        case .temperror:
            // A record we could not read, or an aligned check that failed for now: try again
            // only when the outcome could be a refusal or quarantine. 4.7.0 ("other or undefined
            // security status", RFC 3463 §3.8): RFC 7372 gives DMARC no code of its own.
            if let policy = dmarc.policy ?? dmarc.requestedPolicy, policy == .none { return .accept(quarantine: false) }
            return .tryAgain(enhancedCode: "4.7.0", text: "DMARC check of \(from) failed temporarily: \(dmarc.reason)")
        case .pass:
            return .accept(quarantine: false)
        case .none, .permerror:
            return spfVerdict(outcome.spf)
        }
    }

    /// Without DMARC: `spf_fail` decides what an SPF fail does.
    private func spfVerdict(_ spf: SPFOutcome) -> Verdict {
        switch (spf.result, spfFail) {
        case (.fail, .reject):
            // RFC 7372 §3.2: X.7.23 "SPF validation failed"; RFC 7208 §8.4 suggests 550 5.7.1,
            // the newer code is the specific one. The exp= text, when given, is the sender's
            // own words for the client (§6.2).
            let detail = spf.explanation.map { ": " + $0 } ?? ""
            return .reject(enhancedCode: "5.7.23", text: "SPF check of \(spf.domain) failed (\(spf.reason))\(detail)")
        case (.fail, .mark):
            return .accept(quarantine: true)
        case (.temperror, .reject):
            // RFC 7208 §8.6: 451 (it names 4.4.3); RFC 7372 §3.2's X.7.24 "SPF validation error"
            // is the specific code since.
            return .tryAgain(enhancedCode: "4.7.24", text: "SPF check of \(spf.domain) failed temporarily: \(spf.reason)")
        default:
            return .accept(quarantine: false)
        }
    }
}
