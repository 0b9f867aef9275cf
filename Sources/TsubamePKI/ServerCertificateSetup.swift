import Foundation
import X509

/// What the server does on start so TLS works from the first run.
public enum ServerCertificateSetup {
    /// First run: when DIR/tls/server-chain.pem or server-key.pem is missing, create the private CA (if missing)
    /// and a server certificate for `hostname` + "localhost" + IPs 127.0.0.1 and ::1. Returns true when it created anything.
    public static func ensure(paths: TLSPaths, hostname: String) throws -> Bool {
        try ensure(paths: paths, hostname: hostname, now: Date())
    }

    static func ensure(paths: TLSPaths, hostname: String, now: Date) throws -> Bool {
        if PEMFiles.exists(paths.serverChain) && PEMFiles.exists(paths.serverKey) { return false }
        try PEMFiles.prepareDirectory(paths.directory)

        let authority: CertificateAuthority
        switch (PEMFiles.exists(paths.caCertificate), PEMFiles.exists(paths.caKey)) {
        case (true, true):
            authority = try CertificateAuthority.load(paths: paths)
        case (false, false):
            authority = try CertificateAuthority.create(name: CertificateAuthority.defaultName(for: hostname), now: now)
            try authority.save(to: paths)
        case (true, false), (false, true):
            throw PKIError(.missingCA,
                "\(paths.directory) has only one of ca.pem and ca-key.pem, so no server certificate can be issued; restore the missing file, put your own server-chain.pem and server-key.pem there, or replace the CA with `tsubame ca init --force`")
        }

        var hosts = ["localhost"]
        var ipAddresses = ["127.0.0.1", "::1"]
        if ServerIdentity.ipAddressBytes(hostname) != nil {
            ipAddresses.insert(hostname, at: 0)
        } else {
            hosts.insert(hostname, at: 0)
        }
        let identity = try ServerIdentity(hosts: hosts, ipAddresses: ipAddresses)
        // A CA with less than 397 days left still works: the certificate ends with the CA.
        let days = min(CertificateValidity.defaultServerDays, authority.daysLeft(now: now))
        guard days >= 1 else {
            throw PKIError.invalidRequest(
                "the private CA \"\(authority.name)\" in \(paths.caCertificate) has expired or expires within a day; create a new one with `tsubame ca init --force`")
        }
        try authority.issue(for: identity, days: days, now: now).save(to: paths)
        return true
    }
}
