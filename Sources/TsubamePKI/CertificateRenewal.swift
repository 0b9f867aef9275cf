import Foundation
import X509

/// Renews the server certificates the private CA issued before they expire, so a forgotten
/// 397-day certificate never stops mail clients from connecting: what ACME clients do for
/// public certificates, done here for the CA Tsubame holds. A certificate is renewed when
/// fewer than `renewalDays` days are left: same names, same key type, a new key, the full
/// period (within the CA's life). Certificates from other CAs cannot be renewed here; those
/// close to expiry are reported so the log says so in time.
public enum CertificateRenewal {
    /// Renew with 30 days left, as ACME clients commonly do (a third of a 90-day certificate).
    public static let renewalDays = 30

    public struct Renewed: Sendable, Equatable {
        public let location: String
        public let names: [String]
        public let notAfter: Date
    }

    public struct Expiring: Sendable, Equatable {
        public let location: String
        public let names: [String]
        public let notAfter: Date
        /// Why it was not renewed.
        public let reason: String
    }

    public struct Outcome: Sendable, Equatable {
        public var renewed: [Renewed] = []
        public var expiring: [Expiring] = []
    }

    /// Checks DIR/tls/server-chain.pem (when `includeDefault`: the config names those files) and
    /// every SNI folder under `sniDirectory`.
    public static func run(
        paths: TLSPaths, includeDefault: Bool, sniDirectory: String, crlURL: String?, now: Date = Date()
    ) throws -> Outcome {
        var outcome = Outcome()
        let authority = CertificateAuthority.exists(paths: paths) ? try CertificateAuthority.load(paths: paths) : nil
        if includeDefault && PEMFiles.exists(paths.serverChain) {
            try check(chainFile: paths.serverChain, authority: authority, paths: paths, crlURL: crlURL, now: now,
                      outcome: &outcome) { try $0.save(to: paths) }
        }
        for folder in try SNICertificateFolder.all(in: sniDirectory) {
            try check(chainFile: folder.chain, authority: authority, paths: paths, crlURL: crlURL, now: now,
                      outcome: &outcome) { try $0.save(to: folder) }
        }
        return outcome
    }

    private static func check(
        chainFile: String, authority: CertificateAuthority?, paths: TLSPaths, crlURL: String?, now: Date,
        outcome: inout Outcome, save: (ServerCertificate) throws -> Void
    ) throws {
        guard let leaf = try PEMFiles.readCertificates(chainFile).first else { return }
        let summary = try CertificateSummary(leaf)
        let left = leaf.notValidAfter.timeIntervalSince(now) / 86_400
        guard left < Double(renewalDays) else { return }
        func expiring(_ reason: String) {
            outcome.expiring.append(Expiring(location: chainFile, names: summary.names, notAfter: leaf.notValidAfter, reason: reason))
        }
        guard let authority, (try? authority.checkIssued(leaf, what: chainFile)) != nil else {
            expiring("it was not issued by the private CA in \(paths.caCertificate); renew it where it came from and `tsubame cert install` it")
            return
        }
        let identity: ServerIdentity
        do {
            identity = try ServerIdentity(hosts: summary.names.filter { ServerIdentity.ipAddressBytes($0) == nil },
                                          ipAddresses: summary.names.filter { ServerIdentity.ipAddressBytes($0) != nil })
        } catch {
            expiring("its names cannot be issued again (\(error)); issue a new one with `tsubame cert issue`")
            return
        }
        let keyType = (try? KeyAlgorithm(leaf.publicKey, what: chainFile))?.keyType ?? .default
        let days = min(CertificateValidity.defaultServerDays, authority.daysLeft(now: now))
        // A new certificate ends with the CA at the latest: renewing for a few more days would only
        // churn hourly, so the CA's own expiry is reported instead.
        guard Double(days) >= left + 7 else {
            expiring("the private CA itself expires on \(CertificateAuthority.day(authority.certificate.notValidAfter)); make a new one with `tsubame ca init --force` and have users install it")
            return
        }
        let renewed = try IssuanceLog.recording(
            authority.issue(for: identity, keyType: keyType, days: days, now: now, crlURL: crlURL), in: paths)
        try save(renewed)
        outcome.renewed.append(Renewed(location: chainFile, names: summary.names, notAfter: renewed.certificate.notValidAfter))
    }
}
