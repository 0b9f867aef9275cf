import ArgumentParser
import TsubameConfig
import TsubamePKI
import TsubameServer

/// `--sni`: where `cert issue`, `cert self-signed` and `cert install` put the certificate.
struct DestinationOption: ParsableArguments {
    @Flag(help: "Add it as an extra certificate, served to clients that ask for one of its names by SNI (in DIR/tls/sni/HOST/), instead of replacing the default one.")
    var sni = false

    /// Writes `server` as the default certificate or into its SNI folder; returns the lines
    /// that list the files. `chainNote` says what the chain holds.
    func save(_ server: ServerCertificate, paths: TLSPaths, options: DataOption, chainNote: String) throws -> String {
        guard sni else {
            try server.save(to: paths)
            return """
              \(paths.serverChain)  (\(chainNote): what the server sends)
              \(paths.serverCertificate)
              \(paths.serverKey)  (mode 0600)
            """
        }
        let summary = try server.summary()
        guard let first = summary.names.first(where: { ServerIdentity.ipAddressBytes($0) == nil }) else {
            throw ValidationError("a certificate chosen by SNI needs a host name; SNI carries names, not IP addresses")
        }
        let folder = SNICertificateFolder.named(first, in: options.sniDirectory())
        try server.save(to: folder)
        return """
          \(folder.chain)  (\(chainNote): sent to clients asking for \(summary.names.filter { ServerIdentity.ipAddressBytes($0) == nil }.joined(separator: ", ")))
          \(folder.key)  (mode 0600)
        """
    }
}

extension DataOption {
    /// `[tls] sni_directory` from tsubame.toml (the default when the file cannot be read),
    /// resolved against the data folder.
    func sniDirectory() -> String {
        var directory = TLSSettings().sniDirectory
        if case .success(let config) = ConfigLoader.load(path: folder.configPath) { directory = config.tls.sniDirectory }
        return directory.hasPrefix("/") ? directory : "\(folder.path)/\(directory)"
    }

    /// Tells a `tsubame serve` running on this folder to reload (SIGHUP), and says what happened.
    func reloadRunningServer() -> String {
        switch RunningServer.reload(folder) {
        case .signalled(let pid):
            return "The running server (pid \(pid)) was told to reload (SIGHUP): new connections get it; open ones keep theirs."
        case .notRunning:
            return "`tsubame serve` uses it from its next start (a running server reloads on SIGHUP)."
        case .failed(let pid, let reason):
            return "Could not signal the running server (pid \(pid)): \(reason). Send it SIGHUP (kill -HUP \(pid)) or restart it."
        }
    }
}
