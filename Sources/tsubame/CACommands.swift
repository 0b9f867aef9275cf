import ArgumentParser
import TsubameConfig
import TsubamePKI
import TsubameServer

struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Manage the private certificate authority that signs the server certificate.",
        subcommands: [Init.self, Sign.self, Revoke.self, CRL.self])

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
            let chain = try IssuanceLog.recording(authority.sign(signing, days: days, crlURL: options.configuredCRLURL()), in: paths)
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
