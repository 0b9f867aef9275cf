/// `[checks]`: SPF, DKIM and DMARC on mail received on port 25 (submission is exempt), and
/// what to do with the results.
public struct InboundChecksConfiguration: Sendable, Equatable {
    /// Off: no lookups and no Authentication-Results field (tests, sites behind a filter).
    public var enabled = true
    /// Mail from loopback (local programs, a content filter reinjecting) is not checked, as
    /// OpenDMARC's and OpenDKIM's default IgnoreHosts/InternalHosts 127.0.0.1.
    public var ignoreLoopback = true
    /// The authserv-id of our Authentication-Results fields (RFC 8601 §2.5); empty: hostname.
    public var authservID = ""
    /// Refuse DMARC p=reject failures (550 5.7.1 at the end of DATA).
    public var dmarcReject = true
    /// "mark" or "reject": an SPF fail when the From domain publishes no DMARC policy.
    public var spfFail = "mark"
    /// Seconds all lookups of one message may take together before they count as temperror.
    public var timeout = 20
    /// DKIM signatures checked per message; more are reported as not checked.
    public var maxSignatures = 5

    public init() {}
}

/// `[dkim]`: signing what local users send (keys in DATA/dkim, managed with `tsubame dkim`).
public struct DKIMConfiguration: Sendable, Equatable {
    /// Sign submissions and DSNs whose From domain (or a parent of it) has an active key.
    public var sign = true

    public init() {}
}

/// `[srs]`: the Sender Rewriting Scheme for mail forwarded to remote alias targets.
public struct SRSConfiguration: Sendable, Equatable {
    public var enabled = true
    /// The domain SRS addresses are in; empty: the primary domain.
    public var domain = ""
    /// How long a rewritten address is honoured for bounces (postsrsd: 21 days).
    public var maxAgeDays = 21

    public init() {}
}
