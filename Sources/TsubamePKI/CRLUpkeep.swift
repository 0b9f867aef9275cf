import Foundation

/// Keeps the private CA's CRL fresh while the server runs, so a forgotten cron job never leaves
/// clients with a stale CRL (which they treat as "revocation status unknown" and may refuse).
/// Like a CA's scheduled CRL issuance (RFC 5280 §5.1.2.5: a new CRL by nextUpdate), the new
/// CRL has the same period as the last one, and is made once a third of that period is left.
public enum CRLUpkeep {
    public enum Outcome: Equatable, Sendable {
        /// Nothing to do: no CA, no CRL and no CRL URL, or the CRL is fresh enough.
        case fresh
        /// A new CRL was written (its number and nextUpdate).
        case reissued(number: Int, nextUpdate: Date)
    }

    /// When `crl` should be replaced: a third of its period left (at least an hour's margin for
    /// short periods), or already past nextUpdate.
    public static func needsReissue(_ crl: CertificateRevocationList, now: Date) -> Bool {
        guard let next = crl.nextUpdate else { return true }
        let period = next.timeIntervalSince(crl.thisUpdate)
        return next.timeIntervalSince(now) < max(period / 3, 3600)
    }

    /// The period of the next CRL: the last one's, in whole days within the allowed range.
    static func days(of crl: CertificateRevocationList) -> Int {
        guard let next = crl.nextUpdate else { return Revocation.defaultCRLDays }
        let days = Int((next.timeIntervalSince(crl.thisUpdate) / 86_400).rounded())
        return min(max(days, 1), Revocation.maximumCRLDays)
    }

    /// Reissues DIR/tls/crl.pem when it is due, or makes the first one when `crlURL` is set (the
    /// certificates name that URL, so something must be there to publish). Needs the CA's key.
    public static func run(paths: TLSPaths, crlURL: String, now: Date = Date()) throws -> Outcome {
        guard CertificateAuthority.exists(paths: paths) else { return .fresh }
        let current = try Revocation.loadCRL(paths: paths)
        if let current, !needsReissue(current, now: now) { return .fresh }
        if current == nil && crlURL.isEmpty { return .fresh }
        let authority = try CertificateAuthority.load(paths: paths)
        let days = current.map(days(of:)) ?? Revocation.defaultCRLDays
        let crl = try Revocation.publish(authority: authority, paths: paths, days: days, now: now)
        return .reissued(number: crl.number ?? 0, nextUpdate: crl.nextUpdate ?? now)
    }
}
