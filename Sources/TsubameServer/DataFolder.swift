#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AccountDirectory
import MaildirStore
import TsubameConfig
import TsubamePKI

/// The data folder: tsubame.toml, directory.sqlite, mail/ and queue/.
public struct DataFolder: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    public var configPath: String { "\(path)/tsubame.toml" }
    public var directoryPath: String { "\(path)/directory.sqlite" }
    public var mailPath: String { "\(path)/mail" }
    /// DKIM keys: dkim/DOMAIN/SELECTOR.pem and dkim/DOMAIN/active (`DKIMKeyStore`).
    public var dkimDirectory: String { "\(path)/dkim" }
    /// The SRS secret (`SRSSecret`).
    public var srsSecretPath: String { "\(path)/srs.secret" }

    public var exists: Bool { access(configPath, F_OK) == 0 }

    public enum InitError: Error, CustomStringConvertible {
        case alreadyInitialised(String)
        case notEmpty(String)
        case cannotCreate(String, String)
        case cannotWrite(String, String)

        public var description: String {
            switch self {
            case .alreadyInitialised(let path):
                return "\(path) is already a Tsubame data folder (it has tsubame.toml); refusing to overwrite it"
            case .notEmpty(let path):
                return "\(path) exists and is not empty; choose a new folder"
            case .cannotCreate(let path, let reason): return "cannot create \(path): \(reason)"
            case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
            }
        }
    }

    /// Creates the folder with its config, directory (with `domain`) and mail store; with an
    /// `owner`, names it as `[server] user` and gives it the folder.
    public func initialise(hostname: String, domain: String, listeners: [ListenerName: ListenAddress],
                           owner: SystemAccount? = nil) throws {
        if exists { throw InitError.alreadyInitialised(path) }
        if let entries = try? DirectoryListing.names(in: path), !entries.isEmpty { throw InitError.notEmpty(path) }
        if mkdir(path, 0o700) < 0, errno != EEXIST { throw InitError.cannotCreate(path, errnoText()) }
        var config = TsubameConfiguration()
        config.hostname = hostname
        config.primaryDomain = domain.lowercased()
        config.listeners = listeners
        config.server.user = owner?.userName ?? ""
        let directory = try SQLiteAccountDirectory(path: directoryPath)
        try directory.addDomain(domain)
        for sub in [mailPath, "\(path)/queue"] where mkdir(sub, 0o700) < 0 && errno != EEXIST {
            throw InitError.cannotCreate(sub, errnoText())
        }
        _ = try ensureDefaultCertificate(config)
        // A DKIM key for the primary domain, active at once (mail verifies once its record is
        // published: `init` prints it, `tsubame dns records` prints all), and the SRS secret.
        // (Not for a domain that is no ASCII DNS name, e.g. an IDN given as U-labels: DKIM
        // needs the A-label form, which `tsubame dkim keygen` takes.)
        if (try? DKIMKeyStore.normalisedDomain(config.primaryDomain)) != nil {
            try DKIMKeyStore(dataDirectory: path).generate(domain: config.primaryDomain,
                                                           selector: DKIMKeyStore.datedSelector(), kind: .rsa2048)
        }
        try SRSSecret.create(dataDirectory: path)
        // The config is written last: its presence marks a complete data folder.
        try writeFile(configPath, ConfigTemplate.render(config), mode: 0o600)
        if let owner { try DataFolderOwnership.handOver(path, to: owner) }
    }

    public static func standardListeners() -> [ListenerName: ListenAddress] {
        Dictionary(uniqueKeysWithValues: ListenerName.allCases.map {
            ($0, ListenAddress(host: "0.0.0.0", port: $0.standardPort))
        })
    }

    public var tlsPaths: TLSPaths { TLSPaths(dataDirectory: path) }

    /// When the config uses the default certificate files and they are missing, creates the
    /// private CA (if missing) and a server certificate for the hostname, localhost, 127.0.0.1
    /// and ::1. Returns the CA certificate's path when it created something.
    public func ensureDefaultCertificate(_ config: TsubameConfiguration) throws -> String? {
        let defaults = TLSSettings()
        guard config.tls.certificate == defaults.certificate, config.tls.key == defaults.key else { return nil }
        let paths = tlsPaths
        return try ServerCertificateSetup.ensure(paths: paths, hostname: config.hostname) ? paths.caCertificate : nil
    }

    /// A first run as a normal user: unprivileged ports, loopback only until the admin opens it.
    public static func firstRunListeners() -> [ListenerName: ListenAddress] {
        Dictionary(uniqueKeysWithValues: ListenerName.allCases.map {
            ($0, ListenAddress(host: "127.0.0.1", port: $0.unprivilegedPort))
        })
    }

    private func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw InitError.cannotWrite(path, errnoText()) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw InitError.cannotWrite(path, errnoText()) }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
