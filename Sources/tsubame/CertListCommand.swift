import ArgumentParser
import Foundation
import TsubameConfig
import TsubamePKI
import TsubameServer

extension CertCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the certificates the server sends: the default one and those chosen by SNI, with names and expiry.")
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            var settings = TLSSettings()
            if case .success(let config) = ConfigLoader.load(path: options.folder.configPath) { settings = config.tls }
            func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "\(options.folder.path)/\(path)" }
            let authority = try? CertificateAuthority.load(paths: paths)
            var rows: [(String, String)] = [("default", resolve(settings.certificate))]
            for folder in try SNICertificateFolder.all(in: resolve(settings.sniDirectory)) {
                rows.append(("SNI", folder.chain))
            }
            var unusable = false
            for (kind, path) in rows {
                print("\(kind): \(path)")
                guard let leaf = try? PEMFiles.readCertificates(path).first, let summary = try? CertificateSummary(leaf) else {
                    print("  cannot be read: check it with `tsubame cert show \(path)`")
                    unusable = true
                    continue
                }
                let days = Int((leaf.notValidAfter.timeIntervalSinceNow / 86_400).rounded(.down))
                let ours = authority.map { (try? $0.checkIssued(leaf, what: path)) != nil } ?? false
                print("  names:   \(summary.names.joined(separator: ", "))")
                print("  key:     \(summary.keyDescription), serial \(summary.serialNumber)")
                let note = ours ? " (the private CA: renewed automatically 30 days before expiry)"
                    : leaf.subject == leaf.issuer ? " (self-signed: clients warn; renew it by hand)" : " (renew it where it came from)"
                print("  issuer:  \(summary.issuerCommonName)\(note)")
                print("  expires: \(summary.validUntil) (\(days < 0 ? "expired \(-days) days ago" : "\(days) days left"))")
                if days < 0 { unusable = true }
            }
            if unusable { throw ExitCode(1) }
        }
    }
}
