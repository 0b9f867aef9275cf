#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import TsubameConfig
import TsubameServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the server until SIGTERM or SIGINT; SIGHUP reloads tsubame.toml.")

    @OptionGroup var options: DataOption
    @Option(name: .customLong("listen"),
            help: ArgumentHelp("NAME=HOST:PORT (repeatable): run only the listeners named, at these addresses, "
                + "instead of those in tsubame.toml; port 0 picks a free port."))
    var listen: [String] = []

    func run() async throws {
        var overrides: [ListenerName: ListenAddress] = [:]
        for item in listen {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let name = ListenerName(rawValue: parts[0]),
                  let address = ListenAddress(parsing: parts[1]) else {
                throw ValidationError("--listen takes NAME=HOST:PORT with NAME one of \(ListenerName.allCases.map(\.rawValue).joined(separator: ", ")); got \(item)")
            }
            overrides[name] = address
        }
        let folder = options.folder
        if !folder.exists {
            try folder.initialise(hostname: "localhost", domain: "localhost", listeners: DataFolder.firstRunListeners())
            printNow("""
            First run: created the data folder \(folder.path)
              config     \(folder.configPath)   (hostname and domain "localhost"; on 127.0.0.1: smtp 2525,
                         submission 2587, submissions 2465, pop3 2110, pop3s 2995, imap 2143, imaps 2993)
              CA         \(folder.tlsPaths.caCertificate)   (install it in mail clients to trust this server)
              directory  \(folder.directoryPath)
              mail       \(folder.mailPath)/DOMAIN/USER/{tmp,new,cur}
            Add a user:  tsubame user add you@localhost --data \(folder.path)
            """)
        }
        do {
            try await TsubameServer.run(dataFolder: folder, listenerOverrides: overrides)
        } catch let error as ListenError {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Writes to stdout at once: the server runs on, so buffered output would only appear at exit.
func printNow(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
}
