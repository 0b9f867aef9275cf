/// A DMARC policy record (RFC 7489 §6.3, §6.4): tag=value pairs separated by ";".
/// Parsing is tolerant as §6.3 asks: "Syntax errors in the remainder of the record SHOULD
/// be discarded in favor of default values (if any) or ignored outright"; unknown tags are
/// ignored (§6.3, for extensibility).
public struct DMARCRecord: Sendable, Equatable {
    public enum Alignment: String, Sendable { case relaxed = "r", strict = "s" }

    /// p=; nil when missing or invalid.
    public var policy: DMARCPolicy?
    /// sp=, when given and valid.
    public var subdomainPolicy: DMARCPolicy?
    /// sp= was present but not valid (RFC 7489 §6.6.3 step 6 treats that like a bad p=).
    public var subdomainPolicyInvalid = false
    public var percent = 100
    public var dkimAlignment = Alignment.relaxed
    public var spfAlignment = Alignment.relaxed
    /// rua= URIs as written (not used here: Tsubame sends no reports).
    public var aggregateReportURIs: [String] = []
    public var failureReportURIs: [String] = []

    /// §6.4: the record must start with "v=DMARC1" ("The value of this tag MUST match
    /// precisely; if it does not or it is absent, the entire retrieved record MUST be
    /// ignored"). Tag names are compared case-insensitively, as ABNF strings are.
    public static func isDMARCRecord(_ text: String) -> Bool {
        guard let first = text.split(separator: ";", omittingEmptySubsequences: false).first,
              let tag = tag(first) else { return false }
        return tag.name == "v" && tag.value == "DMARC1"
    }

    /// nil when `text` is not a DMARC record at all (see `isDMARCRecord`).
    public init?(parsing text: String) {
        guard Self.isDMARCRecord(text) else { return nil }
        for part in text.split(separator: ";").dropFirst() {
            guard let tag = Self.tag(part) else { continue }
            let value = tag.value
            switch tag.name {
            case "p": policy = DMARCPolicy(rawValue: value.lowercased())
            case "sp":
                subdomainPolicy = DMARCPolicy(rawValue: value.lowercased())
                subdomainPolicyInvalid = subdomainPolicy == nil
            case "pct":
                // 0-100; anything else keeps the default.
                if value.allSatisfy({ $0.isASCII && $0.isNumber }), value.count <= 3, let number = Int(value), number <= 100 {
                    percent = number
                }
            case "adkim": dkimAlignment = Alignment(rawValue: value.lowercased()) ?? .relaxed
            case "aspf": spfAlignment = Alignment(rawValue: value.lowercased()) ?? .relaxed
            case "rua": aggregateReportURIs = Self.uris(value)
            case "ruf": failureReportURIs = Self.uris(value)
            default: break
            }
        }
    }

    /// §6.6.3 step 6: without a valid p= (or with a bad sp=), a record that names a
    /// syntactically valid rua= URI counts as p=none; otherwise the record is not applied.
    public var hasValidReportURI: Bool {
        aggregateReportURIs.contains { uri in
            guard let colon = uri.firstIndex(of: ":"), colon != uri.startIndex else { return false }
            let scheme = uri[..<colon]
            return scheme.first!.isLetter && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
                && uri.index(after: colon) != uri.endIndex
        }
    }

    /// dmarc-uri list: comma separated, each with an optional "!size" suffix (§6.4).
    private static func uris(_ value: String) -> [String] {
        value.split(separator: ",").map { part in
            let trimmed = part.trimmingWhitespace()
            let uri = trimmed.lastIndex(of: "!").map { trimmed[..<$0] } ?? trimmed[...]
            return String(uri)
        }.filter { !$0.isEmpty }
    }

    /// tag-name *WSP "=" *WSP tag-value, whitespace around both trimmed.
    private static func tag(_ part: Substring) -> (name: String, value: String)? {
        guard let equals = part.firstIndex(of: "=") else { return nil }
        let name = part[..<equals].trimmingWhitespace().lowercased()
        let value = part[part.index(after: equals)...].trimmingWhitespace()
        guard !name.isEmpty else { return nil }
        return (name, value)
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
