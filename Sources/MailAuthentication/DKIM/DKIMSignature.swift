import Foundation

/// Why a signature gets no pass before any cryptography: its result and reason
/// (RFC 6376 §6.1.1 PERMFAIL cases, mapped to RFC 8601 §2.7.1 results).
struct DKIMProblem: Error, Equatable, Sendable {
    var result: DKIMVerification.Result
    var reason: String

    static func permerror(_ reason: String) -> DKIMProblem { DKIMProblem(result: .permerror, reason: reason) }
    static func neutral(_ reason: String) -> DKIMProblem { DKIMProblem(result: .neutral, reason: reason) }
}

/// A DKIM-Signature field's tags, checked (RFC 6376 §3.5, §6.1.1).
struct DKIMSignature: Sendable, Equatable {
    var algorithm: DKIMAlgorithm
    var signature: [UInt8]
    var bodyHash: [UInt8]
    var headerCanonicalization: DKIMCanonicalization
    var bodyCanonicalization: DKIMCanonicalization
    /// d=, lower-cased.
    var domain: String
    var selector: String
    var signedHeaderNames: [String]
    var identity: String?
    var bodyLength: Int?
    var timestamp: Int?
    var expiration: Int?
    /// The first 8 characters of b= without FWS (RFC 6008 §2).
    var signaturePrefix: String

    /// The parts readable even from a signature that is not valid, for the report.
    struct Summary: Sendable, Equatable {
        var domain = ""
        var selector = ""
        var algorithm = ""
        var identity: String?
        var bodyLength: Int?
        var signaturePrefix = ""
    }

    /// More names than this in h= is refused: oversigning all of a big header needs far fewer.
    static let maximumSignedNames = 512

    /// The tags of a field's value (after the colon).
    static func tags(of field: MessageHeaderField) throws(DKIMTagList.ParseError) -> DKIMTagList {
        let raw = field.raw
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { throw .emptyTagSpec }
        return try DKIMTagList(parsing: raw[(colon + 1)...])
    }

    /// What the scanner needs to set up a body hash: c= (body part) and l=. Nil when the field
    /// does not parse (the verifier reports it).
    static func bodyHashKey(of field: MessageHeaderField) -> BodyHashKey? {
        guard let tags = try? tags(of: field),
              let canonicalization = try? canonicalizations(tags["c"]) else { return nil }
        var limit: Int?
        if let l = tags["l"] {
            guard let value = try? bodyLength(l) else { return nil }
            limit = value
        }
        return BodyHashKey(canonicalization: canonicalization.body, limit: limit)
    }

    static func summary(of tags: DKIMTagList) -> Summary {
        var summary = Summary()
        summary.domain = (tags["d"] ?? "").lowercased()
        summary.selector = tags["s"] ?? ""
        summary.algorithm = tags["a"] ?? ""
        summary.identity = tags["i"]
        summary.bodyLength = tags["l"].flatMap { try? bodyLength($0) }
        summary.signaturePrefix = String(DKIMTagList.removingFWS(tags["b"] ?? "").prefix(8))
        return summary
    }

    init(tags: DKIMTagList) throws(DKIMProblem) {
        // §3.5: v=, a=, b=, bh=, d=, h=, s= are required.
        for name in ["v", "a", "b", "bh", "d", "h", "s"] where tags[name] == nil {
            throw .permerror("missing \(name)= tag")
        }
        // §6.1.1: a version we do not know is not ours to judge.
        guard tags["v"] == "1" else { throw .neutral("unsupported version v=\(tags["v"] ?? "")") }
        let algorithmName = (tags["a"] ?? "").lowercased()
        switch algorithmName {
        case DKIMAlgorithm.rsaSHA256.rawValue: algorithm = .rsaSHA256
        case DKIMAlgorithm.ed25519SHA256.rawValue: algorithm = .ed25519SHA256
        case "rsa-sha1":
            // RFC 8301 §3.1: rsa-sha1 MUST NOT be used for signing or verifying.
            throw .permerror("rsa-sha1 is not accepted")
        default:
            // RFC 8601 §2.7.1 neutral: a signature that could not otherwise be processed.
            throw .neutral("unknown algorithm")
        }
        guard let signature = Data(base64Encoded: DKIMTagList.removingFWS(tags["b"] ?? "")), !signature.isEmpty else {
            throw .permerror("b= is not base64")
        }
        guard let bodyHash = Data(base64Encoded: DKIMTagList.removingFWS(tags["bh"] ?? "")), bodyHash.count == 32 else {
            throw .permerror("bh= is not a base64 SHA-256 digest")
        }
        self.signature = Array(signature)
        self.bodyHash = Array(bodyHash)
        signaturePrefix = String(DKIMTagList.removingFWS(tags["b"] ?? "").prefix(8))
        do {
            (headerCanonicalization, bodyCanonicalization) = try Self.canonicalizations(tags["c"])
        } catch {
            throw .neutral("unknown canonicalization")
        }
        domain = (tags["d"] ?? "").lowercased()
        selector = tags["s"] ?? ""
        guard Self.isDomainName(domain) else { throw .permerror("d= is not a domain name") }
        guard Self.isDomainName(selector) else { throw .permerror("s= is not a selector") }
        let names = DKIMTagList.colonList(tags["h"] ?? "")
        guard names.count <= Self.maximumSignedNames else { throw .permerror("too many names in h=") }
        guard names.allSatisfy({ !$0.isEmpty }) else { throw .permerror("empty name in h=") }
        // §6.1.1: the From field MUST be signed.
        guard names.contains(where: { $0.lowercased() == "from" }) else { throw .permerror("h= does not include From") }
        signedHeaderNames = names
        if let i = tags["i"] {
            // §3.5 i=: its domain is d= or a subdomain of it.
            guard let at = i.lastIndex(of: "@") else { throw .permerror("i= has no @") }
            let identityDomain = i[i.index(after: at)...].lowercased()
            guard identityDomain == domain || identityDomain.hasSuffix("." + domain) else {
                throw .permerror("i= is not in d=")
            }
            identity = i
        }
        if let l = tags["l"] {
            do { bodyLength = try Self.bodyLength(l) } catch { throw .permerror("l= is not a number") }
        }
        if let q = tags["q"] {
            // §3.5 q=: dns/txt is the only method defined.
            guard DKIMTagList.colonList(q).contains(where: { $0.lowercased().hasPrefix("dns/txt") }) else {
                throw .permerror("no supported query method")
            }
        }
        if let t = tags["t"] {
            guard let value = Self.number(t) else { throw .permerror("t= is not a number") }
            timestamp = value
        }
        if let x = tags["x"] {
            guard let value = Self.number(x) else { throw .permerror("x= is not a number") }
            // §3.5 x=: MUST be greater than t= when both are present.
            if let timestamp, value <= timestamp { throw .permerror("x= is not after t=") }
            expiration = value
        }
    }

    struct BadCanonicalization: Error {}

    /// c= (§3.5): "header/body", "header" alone meaning "header/simple"; absent: simple/simple.
    static func canonicalizations(_ value: String?) throws(BadCanonicalization)
        -> (header: DKIMCanonicalization, body: DKIMCanonicalization)
    {
        guard let value else { return (.simple, .simple) }
        let parts = value.lowercased().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let header = DKIMCanonicalization(rawValue: String(parts[0])) else {
            throw BadCanonicalization()
        }
        guard parts.count == 2 else { return (header, .simple) }
        guard let body = DKIMCanonicalization(rawValue: String(parts[1])) else { throw BadCanonicalization() }
        return (header, body)
    }

    struct BadNumber: Error {}

    /// l= (§3.5: 1*76DIGIT); a length beyond Int is refused.
    static func bodyLength(_ value: String) throws(BadNumber) -> Int {
        guard let number = number(value) else { throw BadNumber() }
        return number
    }

    /// Decimal digits only (t=, x=, l=), at most 18 of them so no overflow.
    static func number(_ value: String) -> Int? {
        guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(value)
    }

    /// Labels of letters, digits, "-" and "_" (selectors may hold "_"), dots between, at most
    /// 253 octets: what can be looked up as a DNS name without surprises.
    static func isDomainName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == UInt8(ascii: "-")
                    || $0 == UInt8(ascii: "_")
            }
        }
    }
}
