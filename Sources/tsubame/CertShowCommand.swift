#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import NIOCore
import TLSProbe
import TsubameConfig
import TsubamePKI
import TsubameServer

extension CertCommand {
    /// Synchronous on purpose: checking a chain waits for swift-certificates' async Verifier, and
    /// an async command would wait on a thread of Swift's cooperative pool, which on a one-CPU
    /// machine is the thread the Verifier needs.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a certificate file (PEM, leaf first) or the certificate a live server presents, and check it: chain, host name, dates, strength.",
            discussion: """
                TARGET is a file, or HOST:PORT ([IPv6]:PORT) of a server when no such file exists: its certificate \
                is fetched over TLS (implicit TLS, or after SMTP STARTTLS / POP3 STLS with --starttls) and checked \
                against --host (default: HOST). Exits with status 1 when the certificate is unusable (expired, not yet \
                valid, weak, not verifying, or not for the host), 2 when it could not be fetched.
                """)
        @Argument(help: ArgumentHelp("A PEM certificate or chain (default: DIR/tls/server-chain.pem), or HOST:PORT of a server.",
                                     valueName: "target")) var file: String?
        @Option(name: .customLong("starttls"), help: "For HOST:PORT: speak this protocol before TLS (smtp: STARTTLS, pop3: STLS); omit for implicit TLS.")
        var startTLS: StartTLSProtocol?
        @Option(help: "For HOST:PORT: seconds allowed for connecting, the dialog and the handshake.") var timeout: Int = 15
        @Option(help: "The trusted CA certificate(s) to verify against (default: DIR/tls/ca.pem when it exists).") var ca: String?
        @Option(help: "The host name to check (default: hostname in DIR/tsubame.toml; for HOST:PORT, HOST, also sent as SNI).") var host: String?
        @OptionGroup var options: DataOption

        func validate() throws {
            guard (1...600).contains(timeout) else { throw ValidationError("--timeout must be 1 to 600 seconds") }
            if startTLS != nil && remoteTarget == nil {
                throw ValidationError("--starttls needs a HOST:PORT target, not a file")
            }
        }

        func run() throws {
            if let remoteTarget {
                try showRemote(remoteTarget)
                return
            }
            let paths = TLSPaths(dataDirectory: options.folder.path)
            let path = file ?? paths.serverChain
            var trusted: String? = ca
            if trusted == nil && PEMFiles.exists(paths.caCertificate) { trusted = paths.caCertificate }
            let report: CertificateReport
            do {
                report = try CertificateReport.inspect(
                    file: path, trustedFile: trusted, host: host ?? options.configuredHostname(), crlFile: paths.crlPEM)
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

extension CertCommand.Show {
    /// The target as HOST:PORT, unless a file of that name exists.
    var remoteTarget: ProbeTarget? {
        guard let file, !PEMFiles.exists(file) else { return nil }
        return ProbeTarget(parsing: file)
    }

    /// Fetches the chain the server presents and prints the same report as for a file.
    func showRemote(_ target: ProbeTarget) throws {
        let paths = TLSPaths(dataDirectory: options.folder.path)
        var trusted: String? = ca
        if trusted == nil && PEMFiles.exists(paths.caCertificate) { trusted = paths.caCertificate }
        let name = host ?? target.host
        let result: ProbeResult
        do {
            result = try TLSProbe.fetchWaiting(target, options: ProbeOptions(
                startTLS: startTLS, serverName: name, timeout: .seconds(Int64(timeout))))
        } catch {
            let message = Array("tsubame: cannot fetch the certificate: \(error)\n".utf8)
            _ = message.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            throw ExitCode(2)
        }
        let mode = switch startTLS {
        case .smtp?: "SMTP STARTTLS"
        case .pop3?: "POP3 STLS"
        case nil: "implicit TLS"
        }
        print("Server:       \(target) (\(mode)), \(result.tlsVersion)\(result.cipher.map { " with cipher \($0)" } ?? "")")
        let report: CertificateReport
        do {
            report = try CertificateReport.inspect(
                presentedChain: result.chain, trustedFile: trusted, host: name, crlFile: paths.crlPEM)
        } catch let error as PKIError where error.kind != .fileSystem {
            print("Unusable: \(error.description)")
            throw ExitCode(1)
        }
        for line in report.lines { print(line) }
        if !report.isUsable { throw ExitCode(1) }
    }
}

extension StartTLSProtocol: ExpressibleByArgument {}
