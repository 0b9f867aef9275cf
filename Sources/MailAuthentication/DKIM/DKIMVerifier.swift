import Crypto
import DNSClient
import Foundation
import _CryptoExtras

/// One signature's outcome (RFC 6376 §6, RFC 8601 §2.7.1).
public struct DKIMVerification: Sendable, Equatable {
    public enum Result: String, Sendable {
        case pass, fail, neutral, policy, temperror, permerror
    }

    public var result: Result
    /// d= (lower-cased) and s=, as the signature says; empty when unreadable.
    public var domain: String
    public var selector: String
    /// a=
    public var algorithm: String
    /// i=, when given.
    public var identity: String?
    /// l=, when given: tolerated, but reported (a "body length" in the reason).
    public var bodyLength: Int?
    /// The first 8 characters of b= (RFC 6008 header.b), to tell signatures of one domain apart.
    public var signaturePrefix: String
    /// Why it is not a pass ("body hash did not verify", "key revoked", "key too small"...),
    /// or a note on a pass ("l= covers 120 of 300 body octets").
    public var reason: String?

    public init(result: Result, domain: String, selector: String, algorithm: String, identity: String? = nil,
                bodyLength: Int? = nil, signaturePrefix: String = "", reason: String? = nil) {
        self.result = result
        self.domain = domain
        self.selector = selector
        self.algorithm = algorithm
        self.identity = identity
        self.bodyLength = bodyLength
        self.signaturePrefix = signaturePrefix
        self.reason = reason
    }
}

/// Verifies every DKIM-Signature the scanner kept (RFC 6376 §6): tags, key record (t=y/s,
/// h=, k=, s=, p= empty = revoked; SPKI or PKCS #1 RSA, 1024-4096 bits; Ed25519 raw key),
/// header hash, body hash, signature, x= expiry.
public struct DKIMVerifier: Sendable {
    private let dns: any MailAuthDNS

    public init(dns: any MailAuthDNS) {
        self.dns = dns
    }

    /// One result per signature, in header order; empty when the message has none.
    /// `now` is seconds since 1970 (x= and t= checks).
    public func verify(_ message: ScannedMessage, now: Int) async -> [DKIMVerification] {
        var results: [DKIMVerification] = []
        // One lookup per key name per message (signatures of one domain often share a key).
        var keyRecords: [String: DNSResult<TXTRecord>] = [:]
        for (position, field) in Self.signatureFields(of: message).enumerated() {
            switch Self.prepare(field, position: position, in: message) {
            case .done(let outcome):
                results.append(outcome)
            case .needsKey(let signature, let name, let outcome):
                let answer: DNSResult<TXTRecord>
                if let cached = keyRecords[name] {
                    answer = cached
                } else {
                    answer = await dns.txt(name)
                    keyRecords[name] = answer
                }
                results.append(Self.finish(signature, field: field, in: message, keyAnswer: answer, now: now, outcome))
            }
        }
        return results
    }

    static func signatureFields(of message: ScannedMessage) -> [MessageHeaderField] {
        message.headerFields.filter { $0.name.dkimASCIILowercased == "dkim-signature" }
    }

    enum Step {
        /// Decided without the key.
        case done(DKIMVerification)
        /// The tags are good: the key at `name` decides.
        case needsKey(DKIMSignature, name: String, DKIMVerification)
    }

    /// The tags of the signature at `position` (among the DKIM-Signature fields, top first).
    static func prepare(_ field: MessageHeaderField, position: Int, in message: ScannedMessage) -> Step {
        let tags: DKIMTagList
        do {
            tags = try DKIMSignature.tags(of: field)
        } catch {
            return .done(DKIMVerification(result: .permerror, domain: "", selector: "", algorithm: "",
                                          reason: "signature syntax"))
        }
        let summary = DKIMSignature.summary(of: tags)
        var outcome = DKIMVerification(result: .permerror, domain: summary.domain, selector: summary.selector,
                                       algorithm: summary.algorithm, identity: summary.identity,
                                       bodyLength: summary.bodyLength, signaturePrefix: summary.signaturePrefix)
        guard position < message.maximumSignatures else {
            // The scanner hashed bodies for the first ones only (bounded work per message).
            outcome.result = .neutral
            outcome.reason = "not checked: too many signatures"
            return .done(outcome)
        }
        do {
            let signature = try DKIMSignature(tags: tags)
            return .needsKey(signature, name: "\(signature.selector)._domainkey.\(signature.domain)", outcome)
        } catch {
            outcome.result = error.result
            outcome.reason = error.reason
            return .done(outcome)
        }
    }

    static func finish(_ signature: DKIMSignature, field: MessageHeaderField, in message: ScannedMessage,
                       keyAnswer: DNSResult<TXTRecord>, now: Int, _ outcome: DKIMVerification) -> DKIMVerification {
        var outcome = outcome
        do {
            (outcome.result, outcome.reason) = try check(signature, field: field, in: message, keyAnswer: keyAnswer, now: now)
        } catch {
            outcome.result = error.result
            outcome.reason = error.reason
        }
        return outcome
    }

    /// The checks after the tags (RFC 6376 §6.1.1 to §6.1.3), given the key lookup's answer.
    static func check(_ signature: DKIMSignature, field: MessageHeaderField, in message: ScannedMessage,
                      keyAnswer: DNSResult<TXTRecord>, now: Int) throws(DKIMProblem) -> (DKIMVerification.Result, String?) {
        // §6.1.1: a signature past its x= may be treated as PERMFAIL (signature expired).
        if let expiration = signature.expiration, expiration < now {
            throw .permerror("signature expired")
        }
        let record = try keyRecord(keyAnswer, for: signature.algorithm)
        var notes: [String] = []
        if record.testing {
            // §3.6.1 t=y: verifiers MUST NOT treat such messages differently from unsigned
            // ones; the result stands, the note tells the reader.
            notes.append("key in testing mode (t=y)")
        }
        if record.strict, let identity = signature.identity {
            // §3.6.1 t=s: the i= domain must be exactly d=, no subdomain.
            let identityDomain = identity.split(separator: "@").last.map { $0.lowercased() } ?? ""
            guard identityDomain == signature.domain else { throw .permerror("i= domain is not d= (key has t=s)") }
        }
        let publicKey: DKIMKeyRecord.PublicKey
        switch record.key {
        case .revoked:
            // §3.6.1 p=: "An empty value means that this public key has been revoked";
            // §6.1.2 step 6 makes it PERMFAIL (key revoked): a signature that cannot be good,
            // so RFC 8601 §2.7.1's "fail".
            return (.fail, joined(["key revoked"] + notes))
        case .key(let key):
            publicKey = key
        }

        // §6.1.3: the body hash first (cheap, and tells a changed body from a bad signature).
        let key = BodyHashKey(canonicalization: signature.bodyCanonicalization, limit: signature.bodyLength)
        guard let bodyHash = message.bodyHashes[key] else { throw .neutral("not checked: too many signatures") }
        if let limit = signature.bodyLength, bodyHash.hashedLength < limit {
            // §3.5 l=: a body shorter than l= cannot match what was signed.
            return (.fail, joined(["body shorter than l="] + notes))
        }
        guard bodyHash.digest == signature.bodyHash else {
            return (.fail, joined(["body hash did not verify"] + notes))
        }

        var data = DKIMHeaderCanonicalization.selectedFields(message.headerFields, names: signature.signedHeaderNames,
                                                             signature.headerCanonicalization)
        data += DKIMHeaderCanonicalization.signatureFieldForHashing(field.raw, signature.headerCanonicalization)
        let valid: Bool
        switch publicKey {
        case .rsa(let rsa):
            valid = rsa.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature.signature),
                                         for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
        case .ed25519(let raw):
            // RFC 8463 §3: Ed25519 over the SHA-256 digest of the data.
            let ed = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            valid = ed?.isValidSignature(signature.signature, for: Array(SHA256.hash(data: data))) ?? false
        }
        guard valid else { return (.fail, joined(["signature did not verify"] + notes)) }
        if let limit = signature.bodyLength {
            notes.insert("l= covers \(limit) of \(bodyHash.canonicalLength) body octets", at: 0)
        }
        return (.pass, notes.isEmpty ? nil : joined(notes))
    }

    /// The key record from the TXT lookup (§6.1.2). A TXT record's strings are joined (RFC 6376
    /// §3.6.2.2). With several records, the first that reads as a key record for this
    /// algorithm is used: §6.1.2 lets the verifier pick one or cycle through them, and taking
    /// the first good one tolerates a stray SPF-like record next to the key.
    static func keyRecord(_ answer: DNSResult<TXTRecord>, for algorithm: DKIMAlgorithm) throws(DKIMProblem) -> DKIMKeyRecord {
        switch answer {
        case .temporaryFailure(let failure):
            throw DKIMProblem(result: .temperror, reason: "key lookup failed: \(failure)")
        case .nxdomain, .noData:
            throw .permerror("no key")
        case .records(let records, _, _):
            var firstProblem: DKIMProblem?
            for record in records.prefix(8) {
                var text: [UInt8] = []
                for string in record.strings { text += string }
                do {
                    return try DKIMKeyRecord(String(decoding: text, as: UTF8.self), for: algorithm)
                } catch {
                    if firstProblem == nil { firstProblem = error }
                }
            }
            throw firstProblem ?? .permerror("no key")
        }
    }

    private static func joined(_ notes: [String]) -> String { notes.joined(separator: "; ") }
}
