import ArgumentParser
import Foundation
import TsubameConfig
import TsubamePKI
import X509

extension CACommand {
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a certificate the private CA issued, and write a new CRL (DIR/tls/crl.pem, crl.der).",
            discussion: """
                The revocation is recorded in DIR/tls/revoked.txt and the CRL is regenerated at once (valid for \
                \(Revocation.defaultCRLDays) days; a running `tsubame serve` reissues it when a third of that is \
                left, or run `tsubame ca crl`). Publish crl.der or crl.pem at [tls] crl_url so clients can fetch it.
                """)
        @Argument(help: ArgumentHelp(
            "The certificate (a PEM file, leaf first) or its serial number in hex (with or without colons).",
            valueName: "serial-or-cert"))
        var target: String
        @Option(help: "Why: \(RevocationReason.allCases.map(\.rawValue).joined(separator: ", ")).")
        var reason: String = RevocationReason.unspecified.rawValue
        @OptionGroup var options: DataOption

        func validate() throws {
            do {
                _ = try RevocationReason(parsing: reason)
            } catch let error as PKIError {
                throw ValidationError(error.description)
            }
        }

        func run() throws {
            let paths = try options.tlsPaths()
            let authority = try CertificateAuthority.load(paths: paths)
            let why = try RevocationReason(parsing: reason)
            let serial: CertificateSerial
            var names: [String] = []
            if PEMFiles.exists(target) {
                let certificates = try PEMFiles.readCertificates(target)
                guard let leaf = certificates.first else { throw PKIError(.invalidMaterial, "\(target) holds no certificate") }
                try authority.checkIssued(leaf, what: target)
                serial = try CertificateSerial(leaf.serialNumber)
                names = try CertificateSummary(leaf).names
            } else {
                if target.contains("/") || target.hasSuffix(".pem") || target.hasSuffix(".crt") {
                    throw PKIError(.invalidRequest, "\(target): no such file (give a certificate file or a serial number in hex)")
                }
                serial = try CertificateSerial(parsing: target)
                names = Self.namesOfKnownCertificate(serial, paths: paths, authority: authority)
            }
            let result = try Revocation.revoke(serial, reason: why, authority: authority, paths: paths)
            let what = names.isEmpty ? "serial \(serial.hex)" : "\(names.joined(separator: ", ")) (serial \(serial.hex))"
            print("Revoked \(what): \(why.rawValue), at \(result.entry.date.formatted(.iso8601)).")
            if names.isEmpty {
                print("""
                Warning: no certificate with that serial is known here (not in \(paths.issued), not \(paths.serverCertificate));
                it is listed in the CRL anyway. Check it is the one you meant: `tsubame cert show FILE` prints a serial.
                """)
            }
            CRL.describe(result.crl, paths: paths)
            if Self.serverUses(serial, paths: paths) {
                let arguments = names.map { ServerIdentity.ipAddressBytes($0) == nil ? $0 : "--ip \($0)" }
                print("""
                The server still sends this certificate: issue a new one now (the running server reloads it):
                  tsubame cert issue \(arguments.joined(separator: " ")) --data \(options.folder.path)
                """)
            }
        }

        /// Whether DIR/tls/server.pem is the certificate with `serial`.
        static func serverUses(_ serial: CertificateSerial, paths: TLSPaths) -> Bool {
            guard let leaf = try? PEMFiles.readCertificates(paths.serverCertificate).first else { return false }
            return (try? CertificateSerial(leaf.serialNumber)) == serial
        }

        /// The names of the certificate with `serial`: from issued.txt, or DIR/tls/server.pem when
        /// it has that serial and this CA issued it.
        static func namesOfKnownCertificate(_ serial: CertificateSerial, paths: TLSPaths, authority: CertificateAuthority) -> [String] {
            if let record = IssuanceLog.find(serial, paths: paths) { return record.names }
            guard PEMFiles.exists(paths.serverCertificate),
                  let leaf = try? PEMFiles.readCertificates(paths.serverCertificate).first,
                  (try? CertificateSerial(leaf.serialNumber)) == serial,
                  (try? authority.checkIssued(leaf, what: "")) != nil else { return [] }
            return (try? CertificateSummary(leaf).names) ?? []
        }
    }

    struct CRL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crl",
            abstract: "Write a new CRL (DIR/tls/crl.pem and crl.der) listing the revoked certificates, with the next number.",
            discussion: "Clients refuse a stale CRL: a running `tsubame serve` reissues it when a third of its period is left; without one, run this before the next update (e.g. from cron).")
        @Option(help: "Days until the next update (1 to \(Revocation.maximumCRLDays)).") var days: Int = Revocation.defaultCRLDays
        @OptionGroup var options: DataOption

        func validate() throws {
            guard (1...Revocation.maximumCRLDays).contains(days) else {
                throw ValidationError("--days must be between 1 and \(Revocation.maximumCRLDays) (got \(days))")
            }
        }

        func run() throws {
            let paths = try options.tlsPaths()
            let authority = try CertificateAuthority.load(paths: paths)
            let crl = try Revocation.publish(authority: authority, paths: paths, days: days)
            Self.describe(crl, paths: paths)
        }

        static func describe(_ crl: CertificateRevocationList, paths: TLSPaths) {
            let count = crl.revoked.count
            print("""
            Wrote CRL number \(crl.number.map(String.init) ?? "?") (\(count) revoked certificate\(count == 1 ? "" : "s"), next update \(crl.nextUpdate?.formatted(.iso8601) ?? "none")):
              \(paths.crlPEM)
              \(paths.crlDER)
            Publish it at the URL set as [tls] crl_url (certificates issued since that was set name it). A running
            `tsubame serve` reissues it when a third of its period is left; without one, run `tsubame ca crl` before then.
            """)
        }
    }
}

extension DataOption {
    /// `[tls] crl_url` from DIR/tsubame.toml, nil when unset. When the configuration exists but
    /// does not load, says so on standard error and returns nil: the certificate is still issued,
    /// without CRL Distribution Points.
    func configuredCRLURL() -> String? {
        let path = folder.configPath
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        switch ConfigLoader.load(path: path) {
        case .success(let config):
            return config.tls.crlURL.isEmpty ? nil : config.tls.crlURL
        case .failure(let issues):
            let text = "tsubame: warning: \(path) does not load, so [tls] crl_url is not known; issuing without CRL Distribution Points:\n\(issues)\n"
            FileHandle.standardError.write(Data(text.utf8))
            return nil
        }
    }
}
