import ArgumentParser
import TsubameConfig
import TsubamePKI
import TsubameServer

extension CertCommand {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a certificate file (PEM, leaf first) and check it: chain, host name, dates, strength.",
            discussion: "Exits with status 1 when the certificate is unusable (expired, not yet valid, weak, not verifying, or not for the host).")
        @Argument(help: "A PEM certificate or chain (default: DIR/tls/server-chain.pem).") var file: String?
        @Option(help: "The trusted CA certificate(s) to verify against (default: DIR/tls/ca.pem when it exists).") var ca: String?
        @Option(help: "The host name to check (default: hostname in DIR/tsubame.toml).") var host: String?
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = TLSPaths(dataDirectory: options.folder.path)
            let path = file ?? paths.serverChain
            var trusted: String? = ca
            if trusted == nil && PEMFiles.exists(paths.caCertificate) { trusted = paths.caCertificate }
            let report: CertificateReport
            do {
                report = try CertificateReport.inspect(file: path, trustedFile: trusted, host: host ?? options.configuredHostname())
            } catch let error as PKIError where error.kind == .weakKey || error.kind == .weakSignature {
                print("Unusable: \(error.description)")
                throw ExitCode(1)
            }
            print("File:         \(path)")
            for line in report.lines { print(line) }
            if !report.isUsable { throw ExitCode(1) }
        }
    }
}
