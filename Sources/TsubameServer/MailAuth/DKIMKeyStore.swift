import Foundation
import MailAuthentication
import MaildirStore

/// The DKIM signing keys under the data folder: `dkim/DOMAIN/SELECTOR.pem` (PKCS #8, mode 0600,
/// folders 0700) and `dkim/DOMAIN/active`, the selectors signed with (one per line, at most one
/// per algorithm). Two selectors per domain so keys can be rotated: sign with one, publish both,
/// retire the old with an empty p= (RFC 6376 §3.6.1, M3AAWG's rotation advice).
///
/// The server reads it (`signers`, `signingDomain`) on each message it signs, so a key made or
/// activated with `tsubame dkim` counts at once; the admin commands write it.
public struct DKIMKeyStore: Sendable {
    public static let maximumSelectorsPerDomain = 2
    static let activeFileName = "active"
    static let keySuffix = ".pem"

    /// DATA/dkim
    public let directory: String

    public init(dataDirectory: String) {
        directory = DataFolder(path: dataDirectory).dkimDirectory
    }

    /// One key as `dkim list` shows it.
    public struct Key: Sendable, Equatable {
        public var domain: String
        public var selector: String
        public var algorithm: DKIMAlgorithm
        /// The RSA modulus size; nil for Ed25519.
        public var bitCount: Int?
        public var active: Bool
        /// The TXT data to publish at SELECTOR._domainkey.DOMAIN.
        public var publicKeyRecord: String

        /// SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.2.1).
        public var recordName: String { "\(selector)._domainkey.\(domain)" }
    }

    public enum StoreError: Error, CustomStringConvertible, Equatable {
        case invalidDomain(String)
        case invalidSelector(String)
        case selectorExists(String, String)
        case tooManySelectors(String, [String])
        case noSuchKey(String, String)
        case retiringActive(String, String)

        public var description: String {
            switch self {
            case .invalidDomain(let domain): "\(domain) is not a domain name like example.org"
            case .invalidSelector(let selector):
                "\(selector) is not a selector: letters, digits and hyphens, in dot-separated labels (RFC 6376 §3.1)"
            case .selectorExists(let domain, let selector): "\(domain) already has the selector \(selector)"
            case .tooManySelectors(let domain, let selectors):
                "\(domain) already has \(DKIMKeyStore.maximumSelectorsPerDomain) selectors (\(selectors.joined(separator: ", "))); "
                    + "retire one first (`tsubame dkim retire \(domain) SELECTOR`)"
            case .noSuchKey(let domain, let selector): "\(domain) has no selector \(selector)"
            case .retiringActive(let domain, let selector):
                "\(selector) is the active key of \(domain); activate another first (`tsubame dkim activate \(domain) SELECTOR`)"
            }
        }
    }

    // MARK: what the server uses

    /// The active keys of `domain`, RSA first then Ed25519 (RFC 8463 §4: sign with both while
    /// verifiers without Ed25519 are common). None when the domain has no key.
    public func signers(forDomain domain: String) throws -> [DKIMSigner] {
        let domain = try Self.normalisedDomain(domain)
        return try activeSelectors(of: domain).map { selector in
            DKIMSigner(domain: domain, selector: selector, key: try loadKey(domain: domain, selector: selector))
        }.sorted { Self.order($0.key.algorithm) < Self.order($1.key.algorithm) }
    }

    /// The From domain or its closest parent with an active key: a report From
    /// MAILER-DAEMON@mx.example.com is signed with example.com's key, which aligns in relaxed
    /// DMARC (RFC 7489 §3.1.1). Nil when none has one.
    public func signingDomain(for fromDomain: String) -> String? {
        guard var domain = try? Self.normalisedDomain(fromDomain) else { return nil }
        while true {
            if let selectors = try? activeSelectors(of: domain),
               selectors.contains(where: { PrivateFile.exists(keyPath(domain: domain, selector: $0)) }) {
                return domain
            }
            guard let dot = domain.firstIndex(of: ".") else { return nil }
            domain = String(domain[domain.index(after: dot)...])
        }
    }

    // MARK: administration

    /// Makes a key for a new selector. The first key of its algorithm becomes active; a
    /// domain holds at most two selectors, and an existing selector is never overwritten.
    @discardableResult
    public func generate(domain: String, selector: String, kind: DKIMKeyKind) throws -> Key {
        let domain = try Self.normalisedDomain(domain)
        let selector = try Self.normalisedSelector(selector)
        let existing = try selectors(of: domain)
        if existing.contains(selector) { throw StoreError.selectorExists(domain, selector) }
        if existing.count >= Self.maximumSelectorsPerDomain { throw StoreError.tooManySelectors(domain, existing) }
        let key = try DKIMPrivateKey.generate(kind)
        try PrivateFile.makeDirectory(directory)
        try PrivateFile.makeDirectory(domainDirectory(domain))
        var pem = key.pemRepresentation
        if !pem.hasSuffix("\n") { pem += "\n" }
        do {
            try PrivateFile.store(Array(pem.utf8), at: keyPath(domain: domain, selector: selector), replace: false)
        } catch PrivateFile.Failure.exists(_) {
            throw StoreError.selectorExists(domain, selector)
        }
        var active = try activeSelectors(of: domain)
        let activeAlgorithms = try active.map { try loadKey(domain: domain, selector: $0).algorithm }
        if !activeAlgorithms.contains(key.algorithm) {
            active.append(selector)
            try writeActive(active, of: domain)
        }
        return Key(domain: domain, selector: selector, algorithm: key.algorithm, bitCount: key.bitCount,
                   active: active.contains(selector), publicKeyRecord: key.publicKeyRecord)
    }

    /// Every key, by domain and selector; with `domain`, that domain's only.
    public func list(domain: String? = nil) throws -> [Key] {
        let domains: [String]
        if let domain {
            domains = [try Self.normalisedDomain(domain)]
        } else {
            domains = ((try? DirectoryListing.names(in: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        }
        var keys: [Key] = []
        for domain in domains {
            let active = try activeSelectors(of: domain)
            for selector in try selectors(of: domain) {
                let key = try loadKey(domain: domain, selector: selector)
                keys.append(Key(domain: domain, selector: selector, algorithm: key.algorithm, bitCount: key.bitCount,
                                active: active.contains(selector), publicKeyRecord: key.publicKeyRecord))
            }
        }
        return keys
    }

    /// Signs with `selector` from now on, in place of the active key of the same algorithm.
    /// Publish its record first: mail signed before it is visible fails DKIM.
    public func activate(domain: String, selector: String) throws {
        let domain = try Self.normalisedDomain(domain)
        let selector = try Self.normalisedSelector(selector)
        guard try selectors(of: domain).contains(selector) else { throw StoreError.noSuchKey(domain, selector) }
        let algorithm = try loadKey(domain: domain, selector: selector).algorithm
        var active: [String] = []
        for current in try activeSelectors(of: domain) where current != selector {
            if try loadKey(domain: domain, selector: current).algorithm != algorithm { active.append(current) }
        }
        active.append(selector)
        try writeActive(active, of: domain)
    }

    /// Deletes a key that is not active and returns the TXT data that revokes it (an empty p=,
    /// RFC 6376 §3.6.1), to publish in place of its record.
    public func retire(domain: String, selector: String) throws -> String {
        let domain = try Self.normalisedDomain(domain)
        let selector = try Self.normalisedSelector(selector)
        guard try selectors(of: domain).contains(selector) else { throw StoreError.noSuchKey(domain, selector) }
        if try activeSelectors(of: domain).contains(selector) { throw StoreError.retiringActive(domain, selector) }
        try PrivateFile.remove(keyPath(domain: domain, selector: selector))
        return Self.revokedRecord
    }

    public static let revokedRecord = "v=DKIM1; p="

    /// `init`'s selector: "t" and the year and month, e.g. t202611 (a date says which key is
    /// older at a glance when rotating).
    public static func datedSelector(_ date: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "t%04d%02d", parts.year ?? 1970, parts.month ?? 1)
    }

    /// `datedSelector`, or with a letter after it when the domain has that one already (a
    /// second key made in the same month).
    public func unusedDatedSelector(domain: String, date: Date = Date()) throws -> String {
        let taken = try selectors(of: Self.normalisedDomain(domain))
        let base = Self.datedSelector(date)
        return ["", "b", "c"].map { base + $0 }.first { !taken.contains($0) } ?? base
    }

    // MARK: files

    func domainDirectory(_ domain: String) -> String { "\(directory)/\(domain)" }

    func keyPath(domain: String, selector: String) -> String { "\(directory)/\(domain)/\(selector)\(Self.keySuffix)" }

    func activePath(_ domain: String) -> String { "\(directory)/\(domain)/\(Self.activeFileName)" }

    /// The selectors with a key file, sorted.
    func selectors(of domain: String) throws -> [String] {
        guard let names = try? DirectoryListing.names(in: domainDirectory(domain)) else { return [] }
        return names.filter { $0.hasSuffix(Self.keySuffix) && !$0.hasPrefix(".") }
            .map { String($0.dropLast(Self.keySuffix.count)) }.sorted()
    }

    /// The selectors in `active`, in order; none when the file is missing.
    func activeSelectors(of domain: String) throws -> [String] {
        let path = activePath(domain)
        guard PrivateFile.exists(path) else { return [] }
        let text = String(decoding: try PrivateFile.load(path), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    func writeActive(_ selectors: [String], of domain: String) throws {
        let text = selectors.map { $0 + "\n" }.joined()
        try PrivateFile.store(Array(text.utf8), at: activePath(domain), replace: true)
    }

    func loadKey(domain: String, selector: String) throws -> DKIMPrivateKey {
        let path = keyPath(domain: domain, selector: selector)
        guard PrivateFile.exists(path) else { throw StoreError.noSuchKey(domain, selector) }
        return try DKIMPrivateKey(pemRepresentation: String(decoding: try PrivateFile.load(path), as: UTF8.self))
    }

    static func order(_ algorithm: DKIMAlgorithm) -> Int { algorithm == .rsaSHA256 ? 0 : 1 }

    /// Lowercased, without a final dot: a name of ASCII labels (A-labels for IDNs), which is
    /// also a safe folder name.
    static func normalisedDomain(_ text: String) throws -> String {
        var domain = text.lowercased()
        if domain.hasSuffix(".") { domain.removeLast() }
        guard isDottedName(domain) else { throw StoreError.invalidDomain(text) }
        return domain
    }

    /// Selectors are sub-domains (RFC 6376 §3.1); lowercased, as DNS ignores case.
    static func normalisedSelector(_ text: String) throws -> String {
        let selector = text.lowercased()
        guard isDottedName(selector), selector != activeFileName else {
            throw StoreError.invalidSelector(text)
        }
        return selector
    }

    static func isDottedName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                }
        }
    }
}
