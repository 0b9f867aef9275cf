import Crypto
import Foundation

/// The Sender Rewriting Scheme as postsrsd (libsrs2) writes it, so forwarded mail passes SPF
/// at the next hop: SRS0=HHHH=TT=orig-domain=orig-local@our-domain, HHHH a truncated HMAC
/// (SHA-1, as libsrs2) over TT, domain and local part, TT the day (base32, 10 bits) of the
/// rewrite; SRS1 for an address that already is SRS0 of another forwarder.
///
/// Compatibility with libsrs2 and the Python `SRS` module (pysrs, its "Guarded" scheme): the
/// hash is HMAC-SHA1 keyed with the secret's octets over the ASCII-lowercased fields
/// concatenated without separators, the first 4 characters of its standard base64; the day is
/// days since 1970 modulo 1024 in two base32 characters (A-Z 2-7). Both ends lowercase before
/// hashing, so an MTA that smashes the case of a local part cannot break a reversal.
public struct SRSRewriter: Sendable {
    public enum Reversal: Sendable, Equatable {
        /// The address the bounce goes back to.
        case address(String)
        /// An SRS address that cannot be trusted: wrong hash, too old, malformed.
        case invalid(reason: String)
        /// Not an SRS address at all.
        case notSRS
    }

    static let hashLength = 4
    static let base32: [Character] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    /// Two base32 characters: the day wraps around every 1024 days.
    static let timestampSlots = 1024
    static let secondsPerDay = 86400.0

    /// The HMAC key's octets (SymmetricKey is not Sendable; a key is made per hash).
    let secret: [UInt8]
    let domain: String
    let maximumAgeDays: Int

    public init(secret: [UInt8], domain: String, maximumAgeDays: Int = 21) {
        self.secret = secret
        self.domain = domain.lowercased()
        self.maximumAgeDays = maximumAgeDays
    }

    /// The envelope sender to use when forwarding mail from `address`. Addresses in `domain`
    /// and the null path are returned unchanged.
    public func forward(_ address: String, now: Date = Date()) -> String {
        guard let parts = SRSAddressParts(address), parts.domain.lowercased() != domain else { return address }
        let local = parts.local
        // Already SRS1 of some forwarder: keep its first hop and the SRS0 part, re-sign for us
        // (libsrs2 srs_forward, pysrs Guarded.compile).
        if let rest = Self.dropTag("SRS1", from: local) {
            let fields = rest.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            if fields.count == 3, !fields[1].isEmpty, !fields[2].isEmpty {
                let host = String(fields[1]), user = String(fields[2])
                return parts.rebuilt(local: "SRS1=" + hash(host, user) + "=" + host + "=" + user, domain: domain)
            }
        }
        // SRS0 of another forwarder: SRS1 naming that forwarder, the SRS0 part kept as it is
        // (with its separator: "SRS1=HHHH=forwarder==HHHH=TT=domain=local").
        if Self.dropTag("SRS0", from: local) != nil {
            let user = String(local.dropFirst(4))
            return parts.rebuilt(local: "SRS1=" + hash(parts.domain, user) + "=" + parts.domain + "=" + user, domain: domain)
        }
        let stamp = Self.timestamp(now)
        return parts.rebuilt(local: "SRS0=" + hash(stamp, parts.domain, local) + "=" + stamp + "=" + parts.domain + "=" + local,
                             domain: domain)
    }

    /// The original address of an SRS0/SRS1 address in our domain (case-insensitive prefix,
    /// hash compared case-insensitively as libsrs2 does). An SRS address in another domain is
    /// not ours to reverse: `.notSRS`.
    public func reverse(_ address: String, now: Date = Date()) -> Reversal {
        guard let parts = SRSAddressParts(address), parts.domain.lowercased() == domain else { return .notSRS }
        if let rest = Self.dropTag("SRS0", from: parts.local) {
            let fields = rest.split(separator: "=", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, !fields[2].isEmpty, !fields[3].isEmpty else {
                return .invalid(reason: "malformed SRS0 address")
            }
            let (givenHash, stamp, host, user) = (fields[0], fields[1], fields[2], fields[3])
            guard Self.hashMatches(givenHash, hash(stamp, host, user)) else { return .invalid(reason: "wrong hash") }
            guard let day = Self.day(of: stamp) else { return .invalid(reason: "malformed timestamp") }
            guard isFresh(day, now: now) else { return .invalid(reason: "expired") }
            return .address(parts.rebuilt(local: user, domain: host))
        }
        if let rest = Self.dropTag("SRS1", from: parts.local) {
            let fields = rest.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, !fields[1].isEmpty, !fields[2].isEmpty else {
                return .invalid(reason: "malformed SRS1 address")
            }
            let (givenHash, host, user) = (fields[0], fields[1], fields[2])
            guard Self.hashMatches(givenHash, hash(host, user)) else { return .invalid(reason: "wrong hash") }
            // Back to the forwarder that made the SRS0 address; it checks its own hash and age.
            return .address(parts.rebuilt(local: "SRS0" + user, domain: host))
        }
        return .notSRS
    }

    /// What follows "SRS0" or "SRS1" and the separator after it ("=", or "+" / "-", which
    /// libsrs2 accepts for sites that use them as recipient delimiters), in any case.
    static func dropTag(_ tag: String, from local: String) -> Substring? {
        let utf8 = local.utf8
        guard utf8.count > tag.utf8.count else { return nil }
        let head = local.prefix(tag.count)
        guard head.uppercased() == tag else { return nil }
        let rest = local.dropFirst(tag.count)
        guard let separator = rest.first, "=+-".contains(separator) else { return nil }
        return rest.dropFirst()
    }

    /// The first 4 characters of base64(HMAC-SHA1(secret, fields lowercased, concatenated)).
    func hash(_ fields: String...) -> String {
        var code = HMAC<Insecure.SHA1>(key: SymmetricKey(data: secret))
        for field in fields { code.update(data: Array(Self.asciiLowercased(field).utf8)) }
        return String(Data(code.finalize()).base64EncodedString().prefix(Self.hashLength))
    }

    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Case-insensitive (a remote MTA may have smashed the case, as libsrs2 allows) and in
    /// constant time for a hash of the right length, so timing does not reveal how much of a
    /// forged hash was right.
    static func hashMatches(_ given: String, _ expected: String) -> Bool {
        let lhs = Array(asciiLowercased(given).utf8), rhs = Array(asciiLowercased(expected).utf8)
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    static func timestamp(_ now: Date) -> String {
        let day = dayNumber(now) % timestampSlots
        return String([base32[(day >> 5) & 31], base32[day & 31]])
    }

    static func dayNumber(_ now: Date) -> Int {
        max(0, Int((now.timeIntervalSince1970 / secondsPerDay).rounded(.down)))
    }

    /// The day (0..<1024) two base32 characters name, in either case; nil for anything else.
    static func day(of stamp: String) -> Int? {
        let characters = Array(stamp.uppercased())
        guard characters.count == 2, let high = base32.firstIndex(of: characters[0]),
              let low = base32.firstIndex(of: characters[1]) else { return nil }
        return high << 5 | low
    }

    /// Made today or within `maximumAgeDays` before, counting back across the 1024-day wrap;
    /// a day "in the future" is one from about three years ago.
    func isFresh(_ day: Int, now: Date) -> Bool {
        let today = Self.dayNumber(now) % Self.timestampSlots
        let age = (today - day + Self.timestampSlots) % Self.timestampSlots
        return age <= maximumAgeDays
    }
}

/// local@domain split at the last "@"; a quoted local part is unquoted (and re-quoted when
/// rebuilt), as pysrs does. Nil for the null path and anything without an "@".
struct SRSAddressParts {
    var local: String
    var domain: String
    var quoted: Bool

    init?(_ address: String) {
        guard let at = address.lastIndex(of: "@") else { return nil }
        var local = String(address[..<at])
        domain = String(address[address.index(after: at)...])
        quoted = local.count >= 2 && local.hasPrefix("\"") && local.hasSuffix("\"")
        if quoted { local = String(local.dropFirst().dropLast()) }
        guard !local.isEmpty, !domain.isEmpty else { return nil }
        self.local = local
    }

    func rebuilt(local: String, domain: String) -> String {
        quoted ? "\"\(local)\"@\(domain)" : "\(local)@\(domain)"
    }
}
