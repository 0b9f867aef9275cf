// CONTRACT (helper CLI/SRS fills in; public signatures stay).

import Foundation

/// The Sender Rewriting Scheme as postsrsd (libsrs2) writes it, so forwarded mail passes SPF
/// at the next hop: SRS0=HHHH=TT=orig-domain=orig-local@our-domain, HHHH a truncated HMAC
/// (SHA-1, as libsrs2) over TT, domain and local part, TT the day (base32, 10 bits) of the
/// rewrite; SRS1 for an address that already is SRS0 of another forwarder.
public struct SRSRewriter: Sendable {
    public enum Reversal: Sendable, Equatable {
        /// The address the bounce goes back to.
        case address(String)
        /// An SRS address that cannot be trusted: wrong hash, too old, malformed.
        case invalid(reason: String)
        /// Not an SRS address at all.
        case notSRS
    }

    public init(secret: [UInt8], domain: String, maximumAgeDays: Int = 21) { fatalError("contract") }

    /// The envelope sender to use when forwarding mail from `address`. Addresses in `domain`
    /// and the null path are returned unchanged.
    public func forward(_ address: String, now: Date = Date()) -> String { fatalError("contract") }

    /// The original address of an SRS0/SRS1 address in our domain (case-insensitive prefix,
    /// hash compared case-insensitively as libsrs2 does).
    public func reverse(_ address: String, now: Date = Date()) -> Reversal { fatalError("contract") }
}
