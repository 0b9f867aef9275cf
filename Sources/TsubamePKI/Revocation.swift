#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import X509

extension CertificateAuthority {
    /// Refuses a certificate this CA did not issue: its issuer must be the CA's subject and its
    /// signature must verify with the CA's key (RFC 5280 §6.1.3 (a)(1), (a)(4)).
    public func checkIssued(_ leaf: Certificate, what: String) throws {
        guard leaf != certificate else {
            throw PKIError.invalidRequest(
                "\(what) is the private CA's own certificate, which its CRL cannot revoke; to stop trusting it, create a new CA with `tsubame ca init --force` and have users remove the old ca.pem")
        }
        guard leaf.issuer == certificate.subject else {
            throw PKIError.invalidRequest(
                "\(what) was not issued by the private CA \"\(name)\": its issuer is \(leaf.issuer); only certificates this CA issued can be revoked here")
        }
        guard certificate.publicKey.isValidSignature(leaf.signature, for: leaf) else {
            throw PKIError.invalidRequest(
                "\(what) names \"\(name)\" as issuer, but its signature does not verify with this CA's key: it comes from another CA of the same name (an older `ca init --force`?) and cannot be revoked here")
        }
    }

    /// A CRL listing `log`'s entries, numbered `number`, valid from `now` for `days` days.
    public func revocationList(log: RevocationLog, number: Int, days: Int, now: Date = Date()) throws -> CertificateRevocationList {
        try Revocation.checkCRLDays(days)
        let thisUpdate = RevocationLog.wholeSeconds(now)
        return try CertificateRevocationList.make(
            issuer: try CertificateRevocationList.subjectDER(of: certificate), key: key,
            authorityKeyIdentifier: Array(keyIdentifier), number: number,
            thisUpdate: thisUpdate, nextUpdate: thisUpdate.addingTimeInterval(TimeInterval(days) * 86_400),
            revoked: log.entries)
    }
}

/// The steps of `tsubame ca revoke` and `tsubame ca crl`: the record in revoked.txt and the CRL
/// made from it are written together, so they never disagree.
public enum Revocation {
    /// A CRL is reissued at least this often by default; clients refuse one past nextUpdate.
    public static let defaultCRLDays = 30
    public static let maximumCRLDays = 366

    static func checkCRLDays(_ days: Int) throws {
        guard (1...maximumCRLDays).contains(days) else {
            throw PKIError.invalidRequest(
                "a CRL's --days must be between 1 and \(maximumCRLDays) (got \(days)); clients refuse a CRL after its next update, so reissue it before then with `tsubame ca crl`")
        }
    }

    /// revoked.txt, or an empty record when there is none yet.
    public static func loadLog(paths: TLSPaths) throws -> RevocationLog {
        guard PEMFiles.exists(paths.revocations) else { return RevocationLog() }
        return try RevocationLog(parsing: try PEMFiles.readText(paths.revocations), what: paths.revocations)
    }

    /// The CRL in crl.pem, or nil when there is none.
    public static func loadCRL(paths: TLSPaths) throws -> CertificateRevocationList? {
        guard PEMFiles.exists(paths.crlPEM) else { return nil }
        return try CertificateRevocationList(pemEncoded: try PEMFiles.readText(paths.crlPEM), what: paths.crlPEM)
    }

    /// Records the revocation of `serial` and writes a new CRL at once. A serial revoked before is
    /// refused (PKIError.alreadyExists), with the date.
    public static func revoke(
        _ serial: CertificateSerial, reason: RevocationReason, authority: CertificateAuthority, paths: TLSPaths,
        crlDays: Int = defaultCRLDays, now: Date = Date()
    ) throws -> (entry: RevocationLog.Entry, crl: CertificateRevocationList) {
        try checkCRLDays(crlDays)
        return try locked(paths) {
            var log = try loadLog(paths: paths)
            let entry = RevocationLog.Entry(serial: serial, date: now, reason: reason)
            try log.add(entry)
            return (entry, try write(&log, authority: authority, paths: paths, days: crlDays, now: now))
        }
    }

    /// Writes a new CRL (the next number) from revoked.txt.
    public static func publish(
        authority: CertificateAuthority, paths: TLSPaths, days: Int = defaultCRLDays, now: Date = Date()
    ) throws -> CertificateRevocationList {
        try checkCRLDays(days)
        return try locked(paths) {
            var log = try loadLog(paths: paths)
            return try write(&log, authority: authority, paths: paths, days: days, now: now)
        }
    }

    /// Runs `body` holding an exclusive lock on DIR/tls/.revocation.lock, so two `ca revoke` or
    /// `ca crl` at once (say, one from cron) cannot both read revoked.txt and lose an entry or
    /// reuse a CRL number.
    private static func locked<T>(_ paths: TLSPaths, _ body: () throws -> T) throws -> T {
        try PEMFiles.prepareDirectory(paths.directory)
        let lockPath = "\(paths.directory)/.revocation.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, PEMFiles.privateKeyMode)
        guard fd >= 0 else { throw PKIError.fileSystem("cannot open \(lockPath): \(errnoText())") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw PKIError.fileSystem("cannot lock \(lockPath): \(errnoText())") }
        }
        return try body()
    }

    private static func write(
        _ log: inout RevocationLog, authority: CertificateAuthority, paths: TLSPaths, days: Int, now: Date
    ) throws -> CertificateRevocationList {
        // RFC 5280 §5.2.3: CRLNumber is monotonically increasing for a CA.
        log.crlNumber += 1
        let crl = try authority.revocationList(log: log, number: log.crlNumber, days: days, now: now)
        try PEMFiles.prepareDirectory(paths.directory)
        try PEMFiles.writeAtomically([
            PEMFiles.Entry(path: paths.revocations, text: log.text, mode: PEMFiles.certificateMode),
            PEMFiles.Entry(path: paths.crlPEM, text: crl.pem, mode: PEMFiles.certificateMode),
            PEMFiles.Entry(path: paths.crlDER, bytes: crl.derEncoded, mode: PEMFiles.certificateMode),
        ])
        return crl
    }
}
