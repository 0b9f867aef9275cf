import Foundation

/// The Public Suffix List (publicsuffix.org format: rules, wildcards, exceptions), for
/// DMARC's organizational domain (RFC 7489 §3.2). Without a list the fallback rule "*"
/// applies: the organizational domain is the last two labels.
///
/// Rules are kept as written, lower-cased: the list writes IDN rules in UTF-8, and mail
/// domains arrive as A-labels ("xn--..."), so an IDN suffix matches only its own literal form.
/// Converting to punycode would need an IDNA table this target does not carry; the cost is
/// that a domain under an IDN suffix falls back to the "*" rule (one label too short), which
/// only makes relaxed alignment stricter there.
public struct PublicSuffixList: Sendable {
    /// Debian's `publicsuffix` package, then the copy the project ships (`share/`).
    public static let standardPaths = ["/usr/share/publicsuffix/public_suffix_list.dat"]

    /// Rules keyed by their labels joined with "." ("co.uk", "*.ck"); exceptions apart.
    private var rules: Set<String> = []
    private var exceptions: Set<String> = []

    /// The number of rules read (exceptions included), for the log.
    public var ruleCount: Int { rules.count + exceptions.count }

    /// The list's format (publicsuffix.org "Format"): one rule per line, the rule ending at
    /// the first whitespace, "//" comments, "!" exceptions, "*" wildcard labels.
    public init(text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            guard let rule = line.split(whereSeparator: \.isWhitespace).first, !rule.hasPrefix("//") else { continue }
            var name = rule.lowercased()
            if name.hasSuffix(".") { name.removeLast() }
            if name.hasPrefix("!") {
                exceptions.insert(String(name.dropFirst()))
            } else if !name.isEmpty {
                rules.insert(name)
            }
        }
    }

    /// The first readable list of `paths`; the fallback rule alone when none is.
    public static func load(paths: [String] = standardPaths) -> PublicSuffixList {
        for path in paths {
            if let data = FileManager.default.contents(atPath: path) {
                return PublicSuffixList(text: String(decoding: data, as: UTF8.self))
            }
        }
        return PublicSuffixList(text: "")
    }

    /// The public suffix of a lower-cased name, as labels counted from the right
    /// (publicsuffix.org "Algorithm": an exception wins and drops its leftmost label, else
    /// the matching rule with the most labels, else "*").
    func suffixLength(_ labels: [Substring]) -> Int {
        var longest = 1  // the implicit "*" rule
        for count in 1...labels.count {
            let tail = labels.suffix(count)
            let name = tail.joined(separator: ".")
            if exceptions.contains(name) { return count - 1 }
            let wildcard = (["*"] + tail.dropFirst()).joined(separator: ".")
            if rules.contains(name) || rules.contains(wildcard) { longest = count }
        }
        return longest
    }

    /// RFC 7489 §3.2: the public suffix plus one label; lower-cased, no trailing dot.
    /// A name that is itself a public suffix is its own organizational domain.
    public func organizationalDomain(of domain: String) -> String {
        var name = domain.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, labels.allSatisfy({ !$0.isEmpty }) else { return name }
        let keep = min(labels.count, suffixLength(labels) + 1)
        return labels.suffix(keep).joined(separator: ".")
    }
}
