/// `[checks]`, `[dkim]`, `[srs]`: message authentication, in the same one-list form as the
/// rest of `ConfigSchema`.
extension ConfigSchema {
    static let spfFailActions = ["mark", "reject"]

    static let mailAuthSettings: [Setting] = [
        .boolean("checks", "enabled",
                 "Check SPF (RFC 7208), DKIM (RFC 6376) and DMARC (RFC 7489) on mail received on the smtp listener, and add Authentication-Results (RFC 8601). Submission is never checked.",
                 \.checks.enabled),
        .boolean("checks", "ignore_loopback",
                 "Leave mail from 127.0.0.0/8 and ::1 unchecked (local programs; OpenDMARC's IgnoreHosts default).",
                 \.checks.ignoreLoopback),
        .string("checks", "authserv_id",
                "The name our Authentication-Results fields carry (RFC 8601 §2.5); empty: hostname.",
                \.checks.authservID,
                validate: { $0.isEmpty || isHostname($0) ? nil : "must be empty or a host name like mx.example.org" }),
        .boolean("checks", "dmarc_reject",
                 "Refuse mail failing DMARC whose domain asks for p=reject (550 5.7.1, RFC 7489 §6.7); off: only marked.",
                 \.checks.dmarcReject),
        choice("checks", "spf_fail", spfFailActions,
               "An SPF fail from a domain without a DMARC policy: \"mark\" (Authentication-Results only) or \"reject\" (550 5.7.23, RFC 7372 §3.2).",
               \.checks.spfFail),
        .integer("checks", "timeout", 1...300,
                 "Seconds all DNS lookups for one message may take together; later answers count as temperror.",
                 \.checks.timeout),
        .integer("checks", "max_signatures", 1...20,
                 "DKIM signatures verified per message (RFC 6376 §6.1 lets a verifier limit them); more are reported as not checked.",
                 \.checks.maxSignatures),

        .boolean("dkim", "sign",
                 "Sign mail of local users and delivery reports whose From domain, or a parent of it, has an active key (DATA/dkim, `tsubame dkim`).",
                 \.dkim.sign),

        .boolean("srs", "enabled",
                 "Rewrite the envelope sender of mail forwarded to remote alias targets, so it passes SPF there (SRS, as postsrsd).",
                 \.srs.enabled),
        .string("srs", "domain", "The domain of the rewritten addresses (SRS0=...@DOMAIN); empty: the primary domain.",
                \.srs.domain,
                validate: { $0.isEmpty || isHostname($0) ? nil : "must be empty or a domain name like example.org" }),
        .integer("srs", "max_age_days", 1...365,
                 "Days a rewritten address accepts bounces; older ones are refused (postsrsd: 21).",
                 \.srs.maxAgeDays),
    ]

    static let mailAuthTableNotes = [
        "checks": """
            Message authentication of incoming mail. `tsubame dns check DOMAIN` checks our own records.
            """,
        "dkim": """
            DKIM signing. Keys: `tsubame dkim keygen|list|show|activate|retire`; records to publish: `tsubame dns records DOMAIN`.
            """,
        "srs": """
            The Sender Rewriting Scheme for forwarding; its secret is DATA/srs.secret (keep it when moving servers).
            """,
    ]
}
