import ArgumentParser
import TsubameConfig
import TsubamePKI
import TsubameServer

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Server certificates: issue, self-sign, request from a CA (csr), install, show and list them.",
        subcommands: [Issue.self, SelfSigned.self, Show.self, List.self, CSR.self, Install.self])

    /// HOST... [--ip ADDR]...: the names a new certificate or request is for (issue, self-signed, csr).
    struct Names: ParsableArguments {
        @Argument(help: "Host names the certificate is for; the first is also its common name.") var hosts: [String] = []
        @Option(name: .customLong("ip"), help: "An IPv4 or IPv6 address the certificate is for (repeatable).")
        var ipAddresses: [String] = []

        func identity() throws -> ServerIdentity {
            do {
                return try ServerIdentity(hosts: hosts, ipAddresses: ipAddresses)
            } catch let error as PKIError {
                throw ValidationError(error.description)
            }
        }

        func validate() throws { _ = try identity() }
    }

    /// HOST... [--ip ADDR]... [--key TYPE] [--days N], shared by `cert issue` and `cert self-signed`.
    struct Request: ParsableArguments {
        @OptionGroup var names: Names
        @OptionGroup var keyOption: KeyTypeOption
        @Option(help: "How many days the certificate is valid (at most \(CertificateValidity.maximumServerDays)).")
        var days: Int = CertificateValidity.defaultServerDays

        func identity() throws -> ServerIdentity { try names.identity() }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a server certificate signed by the private CA (run `tsubame ca init` first).")
        @OptionGroup var request: Request
        @OptionGroup var destination: DestinationOption
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let authority = try CertificateAuthority.load(paths: paths)
            let server = try IssuanceLog.recording(authority.issue(
                for: try request.identity(), keyType: try request.keyOption.keyType(), days: request.days,
                crlURL: options.configuredCRLURL()), in: paths)
            let files = try destination.save(server, paths: paths, options: options, chainNote: "the certificate, then the CA")
            let summary = try server.summary()
            print("""
            Issued a server certificate for \(summary.names.joined(separator: ", "))
            (\(summary.keyDescription), valid until \(summary.validUntil), serial \(summary.serialNumber)),
            signed by the private CA "\(authority.name)":
            \(files)
            Clients trust it once \(paths.caCertificate) is installed.
            \(options.reloadRunningServer())
            """)
        }
    }

    struct SelfSigned: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "self-signed",
            abstract: "Create a self-signed server certificate (clients warn; prefer the private CA).")
        @OptionGroup var request: Request
        @OptionGroup var destination: DestinationOption
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let server = try SelfSignedCertificate.make(
                for: try request.identity(), keyType: try request.keyOption.keyType(), days: request.days)
            let files = try destination.save(server, paths: paths, options: options, chainNote: "just the certificate")
            let summary = try server.summary()
            print("""
            Created a self-signed server certificate for \(summary.names.joined(separator: ", "))
            (\(summary.keyDescription), valid until \(summary.validUntil)):
            \(files)
              SHA-256 fingerprint \(summary.sha256Fingerprint)
            Note: nobody vouches for a self-signed certificate ("オレオレ証明書"), so mail clients will warn
            until each user accepts it by hand (compare the fingerprint). To avoid the warnings use the private
            CA instead: `tsubame ca init` once, users install ca.pem, then `tsubame cert issue`.
            \(options.reloadRunningServer())
            """)
        }
    }

    struct CSR: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csr",
            abstract: "Make a new key and a certificate signing request (DIR/tls/request.pem) for a public CA.")
        @OptionGroup var names: Names
        @OptionGroup var keyOption: KeyTypeOption
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let identity = try names.identity()
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
        @OptionGroup var destination: DestinationOption
        @OptionGroup var options: DataOption

        func run() throws {
            let paths = try options.tlsPaths()
            let keyPath = key ?? paths.requestKey
            // The default certificate must cover the configured hostname; an SNI one serves its own names.
            var hostname: String? = nil
            if !destination.sni {
                guard let configured = options.configuredHostname() else {
                    throw ValidationError("cannot read hostname from \(options.folder.configPath); the certificate must be checked against it")
                }
                hostname = configured
            }
            let server = try ChainInstallation.check(chainFile: chain, keyFile: keyPath, paths: paths, hostname: hostname)
            let summary = try server.summary()
            let count: Int = server.chain.count
            let certificates: String = count == 1 ? "1 certificate" : "\(count) certificates"
            let files = try destination.save(server, paths: paths, options: options, chainNote: certificates)
            print("""
            Installed the certificate for \(summary.names.joined(separator: ", ")) (\(summary.keyDescription), valid until \(summary.validUntil)), issued by "\(summary.issuerCommonName)":
            \(files)
            \(options.reloadRunningServer())
            """)
        }
    }
}
