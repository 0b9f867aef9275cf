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
        subcommands: [Init.self])

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
}

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Create the server certificate (DIR/tls/server-chain.pem and server-key.pem).",
        subcommands: [Issue.self, SelfSigned.self])

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
}
