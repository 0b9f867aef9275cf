// CONTRACT (helper SPF/DMARC fills in; public signatures stay).

/// The Public Suffix List (publicsuffix.org format: rules, wildcards, exceptions), for
/// DMARC's organizational domain (RFC 7489 §3.2). Without a list the fallback rule "*"
/// applies: the organizational domain is the last two labels.
public struct PublicSuffixList: Sendable {
    /// Debian's `publicsuffix` package, then the copy the project ships (`share/`).
    public static let standardPaths = ["/usr/share/publicsuffix/public_suffix_list.dat"]

    public init(text: String) { fatalError("contract") }

    /// The first readable list of `paths`; the fallback rule alone when none is.
    public static func load(paths: [String] = standardPaths) -> PublicSuffixList { fatalError("contract") }

    /// RFC 7489 §3.2: the public suffix plus one label; lower-cased, no trailing dot.
    public func organizationalDomain(of domain: String) -> String { fatalError("contract") }
}
