// CONTRACT (helper SPF/DMARC fills in; public signatures stay).

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
    public init(dns: any MailAuthDNS, publicSuffixes: PublicSuffixList, authservID: String) { fatalError("contract") }

    /// `now` is seconds since 1970; `percentRoll` as `DMARCEvaluator.evaluate`.
    public func check(_ input: InboundCheckInput, now: Int, percentRoll: Int) async -> InboundCheckOutcome {
        fatalError("contract")
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

    public func verdict(for outcome: InboundCheckOutcome) -> Verdict { fatalError("contract") }
}
