#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import TsubameConfig
import TsubamePKI
import TsubameServer

/// `--key TYPE`, shared by the certificate commands; weak or unknown types are refused with the reason.
struct KeyTypeOption: ParsableArguments {
    @Option(help: "Key type: \(KeyType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var key: String = KeyType.default.rawValue

    func keyType() throws -> KeyType {
        do {
            return try KeyType(parsing: key)
        } catch let error as PKIError {
            throw ValidationError(error.description)
        }
    }

    func validate() throws { _ = try keyType() }
}

extension DataOption {
    /// The certificate commands work inside an existing data folder (a CA made elsewhere would
    /// stop `tsubame init` from creating the folder).
    func tlsPaths() throws -> TLSPaths {
        guard folder.exists else {
            throw ValidationError("\(folder.path) is not a Tsubame data folder; create it with `tsubame init` or `tsubame serve`")
        }
        return TLSPaths(dataDirectory: folder.path)
    }

    /// `hostname = "..."` from DIR/tsubame.toml by a line scan (works even when the rest of the
    /// configuration does not load), or nil.
    func configuredHostname() -> String? {
        ConfigScan.hostname(dataDirectory: folder.path)
    }

    /// The hostname from tsubame.toml, or the data folder's name when the config cannot be read.
    func hostnameForNames() -> String {
        if case .success(let config) = ConfigLoader.load(path: folder.configPath) { return config.hostname }
        guard let resolved = realpath(folder.path, nil) else { return folder.path }
        defer { free(resolved) }
        let path = String(cString: resolved)
        return path.split(separator: "/").last.map(String.init) ?? path
    }
}

struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Manage the private certificate authority that signs the server certificate.",
        subcommands: [Init.self, Sign.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the private CA (DIR/tls/ca.pem) that users install in their mail clients.")

        @Option(help: "The CA's name (default: \"Tsubame Private CA (HOSTNAME)\").") var name: String?
        @OptionGroup var keyOption: KeyTypeOption
        @Option(help: "How many days the CA is valid.") var days: Int = CertificateValidity.defaultCADays
        @Flag(help: "Replace an existing CA: clients that trust the old one will reject the server until they install the new ca.pem.")
        var force = false
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let replacing = PEMFiles.exists(paths.caCertificate) || PEMFiles.exists(paths.caKey)
            if replacing && !force {
                throw ValidationError("""
                    \(paths.caCertificate) already exists. Replacing the CA would make every mail client that trusts it \
                    reject this server until its user installs the new ca.pem, and the server certificate it signed would \
                    have to be issued again. Pass --force to replace it anyway.
                    """)
            }
            let authority = try CertificateAuthority.create(
                name: name ?? CertificateAuthority.defaultName(for: options.hostnameForNames()),
                keyType: try keyOption.keyType(), days: days)
            try authority.save(to: paths)
            let summary = try authority.summary()
            print("""
            Created the private CA "\(summary.commonName)" (\(summary.keyDescription), valid until \(summary.validUntil)).
              certificate  \(paths.caCertificate)
              key          \(paths.caKey)  (mode 0600: keep it on this machine, never give it to anyone)
              SHA-256 fingerprint \(summary.sha256Fingerprint)
            Users install \(paths.caCertificate) in their mail clients (or their operating system) as a trusted
            certificate authority, checking the fingerprint above; then the server certificates it issues are
            trusted without warnings.
            """)
            if replacing {
                print("The previous CA was replaced: issue the server certificate again and have users install the new ca.pem.")
            }
            print("Next: tsubame cert issue \(options.hostnameForNames()) --data \(options.folder.path)")
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a certificate signing request (PEM) with the private CA, for the names it requests.")
        @Argument(help: "The request (PEM, -----BEGIN CERTIFICATE REQUEST-----).") var request: String
        @Option(help: "How many days the certificate is valid (at most \(CertificateValidity.maximumServerDays)).")
        var days: Int = CertificateValidity.defaultServerDays
        @Option(help: "Where to write the certificate and the CA (default: REQUEST's name with .crt.pem, next to it; - for standard output).")
        var out: String?
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let authority = try CertificateAuthority.load(paths: paths)
            let signing = try SigningRequest(pemEncoded: try PEMFiles.readText(request), what: request)
            let chain = try authority.sign(signing, days: days)
            let target = out ?? Self.defaultOutput(for: request)
            let entry = try PEMFiles.certificateEntry(chain, path: target)
            if target == "-" {
                print(entry.text, terminator: "")
                return
            }
            try PEMFiles.writeAtomically([entry])
            let summary = try CertificateSummary(chain[0])
            print("""
            Signed a certificate for \(summary.names.joined(separator: ", ")) (\(summary.keyDescription), valid until \(summary.validUntil), serial \(summary.serialNumber)):
              \(target)  (the certificate, then the CA "\(authority.name)")
            Give it to the requester; their clients trust it once \(paths.caCertificate) is installed.
            """)
        }

        /// "req.pem" -> "req.crt.pem", "req.csr" -> "req.crt.pem", next to the request.
        static func defaultOutput(for request: String) -> String {
            var base = request
            for suffix in [".pem", ".csr", ".req"] where base.hasSuffix(suffix) {
                base.removeLast(suffix.count)
                break
            }
            return base + ".crt.pem"
        }
    }
}

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Create the server certificate (DIR/tls/server-chain.pem and server-key.pem).",
        subcommands: [Issue.self, SelfSigned.self, Show.self, CSR.self, Install.self])

    /// HOST... [--ip ADDR]... [--key TYPE] [--days N], shared by both commands.
    struct Request: ParsableArguments {
        @Argument(help: "Host names the certificate is for; the first is also its common name.") var hosts: [String] = []
        @Option(name: .customLong("ip"), help: "An IPv4 or IPv6 address the certificate is for (repeatable).")
        var ipAddresses: [String] = []
        @OptionGroup var keyOption: KeyTypeOption
        @Option(help: "How many days the certificate is valid (at most \(CertificateValidity.maximumServerDays)).")
        var days: Int = CertificateValidity.defaultServerDays

        func identity() throws -> ServerIdentity {
            do {
                return try ServerIdentity(hosts: hosts, ipAddresses: ipAddresses)
            } catch let error as PKIError {
                throw ValidationError(error.description)
            }
        }

        func validate() throws { _ = try identity() }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a server certificate signed by the private CA (run `tsubame ca init` first).")
        @OptionGroup var request: Request
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let authority = try CertificateAuthority.load(paths: paths)
            let server = try authority.issue(for: try request.identity(), keyType: try request.keyOption.keyType(), days: request.days)
            try server.save(to: paths)
            let summary = try server.summary()
            print("""
            Issued a server certificate for \(summary.names.joined(separator: ", "))
            (\(summary.keyDescription), valid until \(summary.validUntil), serial \(summary.serialNumber)),
            signed by the private CA "\(authority.name)":
              \(paths.serverChain)  (the certificate, then the CA: what the server sends)
              \(paths.serverCertificate)
              \(paths.serverKey)  (mode 0600)
            Clients trust it once \(paths.caCertificate) is installed. Send SIGHUP to the running `tsubame serve` (or restart it) to use it; open connections keep theirs.
            """)
        }
    }

    struct SelfSigned: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "self-signed",
            abstract: "Create a self-signed server certificate (clients warn; prefer the private CA).")
        @OptionGroup var request: Request
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let server = try SelfSignedCertificate.make(
                for: try request.identity(), keyType: try request.keyOption.keyType(), days: request.days)
            try server.save(to: paths)
            let summary = try server.summary()
            print("""
            Created a self-signed server certificate for \(summary.names.joined(separator: ", "))
            (\(summary.keyDescription), valid until \(summary.validUntil)):
              \(paths.serverChain)  (just the certificate)
              \(paths.serverCertificate)
              \(paths.serverKey)  (mode 0600)
              SHA-256 fingerprint \(summary.sha256Fingerprint)
            Note: nobody vouches for a self-signed certificate ("オレオレ証明書"), so mail clients will warn
            until each user accepts it by hand (compare the fingerprint). To avoid the warnings use the private
            CA instead: `tsubame ca init` once, users install ca.pem, then `tsubame cert issue`.
            Send SIGHUP to the running `tsubame serve` (or restart it) to use it; open connections keep theirs.
            """)
        }
    }

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

    struct CSR: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csr",
            abstract: "Make a new key and a certificate signing request (DIR/tls/request.pem) for a public CA.")
        @Argument(help: "Host names the certificate is for; the first is also its common name.") var hosts: [String] = []
        @Option(name: .customLong("ip"), help: "An IPv4 or IPv6 address the certificate is for (repeatable).")
        var ipAddresses: [String] = []
        @OptionGroup var keyOption: KeyTypeOption
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let identity: ServerIdentity
            do {
                identity = try ServerIdentity(hosts: hosts, ipAddresses: ipAddresses)
            } catch let error as PKIError {
                throw ValidationError(error.description)
            }
            let keyType = try keyOption.keyType()
            let (request, key) = try SigningRequest.make(for: identity, keyType: keyType)
            try request.save(key: key, to: paths)
            print("""
            Made a certificate signing request for \(identity.summary) (key \(keyType.rawValue)):
              \(paths.request)  (the request: send this to the certificate authority)
              \(paths.requestKey)  (its key, mode 0600: it stays here, never send it)
            Send \(paths.request) to your CA (or sign it with another Tsubame: `tsubame ca sign request.pem`).
            When the CA returns the certificate chain (leaf first), install it with:
              tsubame cert install CHAIN.pem --data \(options.folder.path)
            """)
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the certificate chain a CA returned for `tsubame cert csr`, after checking it.")
        @Argument(help: "The chain (PEM): the server certificate first, then the intermediates.") var chain: String
        @Option(help: "The private key (default: DIR/tls/request-key.pem).") var key: String?
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let keyPath = key ?? paths.requestKey
            guard let hostname = options.configuredHostname() else {
                throw ValidationError("cannot read hostname from \(options.folder.configPath); the certificate must be checked against it")
            }
            let server = try ChainInstallation.check(chainFile: chain, keyFile: keyPath, paths: paths, hostname: hostname)
            try server.save(to: paths)
            let summary = try server.summary()
            let count: Int = server.chain.count
            let certificates: String = count == 1 ? "1 certificate" : "\(count) certificates"
            print("""
            Installed the certificate for \(summary.names.joined(separator: ", ")) (\(summary.keyDescription), valid until \(summary.validUntil)), issued by "\(summary.issuerCommonName)":
              \(paths.serverChain)  (\(certificates): what the server sends)
              \(paths.serverCertificate)
              \(paths.serverKey)  (mode 0600)
            Send SIGHUP to the running `tsubame serve` (or restart it) to use it; open connections keep theirs.
            """)
        }
    }
}
