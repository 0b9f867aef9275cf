// CONTRACT (helper SPF/DMARC fills in; public signatures stay).

/// The Authentication-Results header field (RFC 8601) Tsubame adds to every message it
/// receives on port 25.
public enum AuthenticationResultsField {
    /// "Authentication-Results: ID;\n\tspf=pass smtp.mailfrom=…;\n\tdkim=pass header.d=… header.s=… header.b=…;\n\tdmarc=pass header.from=…\n"
    /// LF line ends, folded, ending in LF; every value quoted or escaped so nothing a client
    /// sent can break the field (RFC 8601 §2.2: values are `value` = token / quoted-string).
    /// `helo` is the HELO check (smtp.helo); dkim=none when there are no signatures.
    public static func render(authservID: String, spf: SPFOutcome, mailFrom: String, helo: SPFOutcome?,
                              heloName: String, dkim: [DKIMVerification], dmarc: DMARCOutcome) -> String {
        fatalError("contract")
    }

    /// True when the value of an existing Authentication-Results field (or
    /// ARC/“Authentication-Results”-like field) names `authservID` as its authserv-id
    /// (RFC 8601 §5: such fields are removed before ours is added). Case-insensitive,
    /// comments and whitespace around the id allowed.
    public static func claims(authservID: String, fieldValue: String) -> Bool { fatalError("contract") }
}
