import ArgumentParser
import TsubameConfig
import TsubameServer

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a data folder: tsubame.toml, the directory and the mail store.")

    @OptionGroup var options: DataOption
    @Option(help: "This server's DNS name, used in the SMTP greeting.") var hostname: String
    @Option(help: "The first mail domain to receive mail for; also the primary domain, whose postmaster gets <Postmaster>.")
    var domain: String

    func run() throws {
        try options.folder.initialise(hostname: hostname, domain: domain, listeners: DataFolder.standardListeners())
        print("""
        Created \(options.folder.path): tsubame.toml, directory.sqlite, mail/, queue/, tls/
        Private CA: \(options.folder.tlsPaths.caCertificate) (install it in your users' mail clients)
        Domain \(domain) added. Listeners use the standard ports (smtp 25, pop3 110, pop3s 995): run `tsubame serve` as root,
        or with --listen smtp=0.0.0.0:2525 --listen pop3=0.0.0.0:2110 --listen pop3s=0.0.0.0:2995 as a normal user.
        Add a user: tsubame user add alice@\(domain) --data \(options.folder.path)
        """)
    }
}
