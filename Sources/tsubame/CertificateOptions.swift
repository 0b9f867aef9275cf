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
        try DataFolderOwner.become(of: folder.path)
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
