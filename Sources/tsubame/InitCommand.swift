#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
    @Option(help: "The data folder's owner, written as [server] user: `serve` started as root runs as it after binding the ports (default, as root: tsubame when that user exists; \"\" for none).")
    var user: String?

    func run() throws {
        let owner = try NewDataFolderOwner.choose(requested: user)
        try options.folder.initialise(hostname: hostname, domain: domain, listeners: DataFolder.standardListeners(),
                                      owner: owner)
        print("""
        Created \(options.folder.path): tsubame.toml, directory.sqlite, mail/, queue/, tls/
        Private CA: \(options.folder.tlsPaths.caCertificate) (install it in your users' mail clients)
        Domain \(domain) added. Listeners use the standard ports (smtp 25, submission 587, submissions 465, pop3 110,
        pop3s 995, imap 143, imaps 993): run `tsubame serve` as root, or as a normal user with
        --listen smtp=0.0.0.0:2525 --listen submission=0.0.0.0:2587 --listen submissions=0.0.0.0:2465
        --listen pop3=0.0.0.0:2110 --listen pop3s=0.0.0.0:2995 --listen imap=0.0.0.0:2143
        --listen imaps=0.0.0.0:2993.
        \(Self.ownerNote(owner))Add a user: tsubame user add alice@\(domain) --data \(options.folder.path)
        """)
        // Read back as the store sees it (the owner's files are still readable by root).
        let keys = try DKIMKeyStore(dataDirectory: options.folder.path).list(domain: domain)
        if let key = keys.first(where: \.active) {
            print("""
            DKIM key \(key.selector) for \(key.domain) (rsa-2048; SRS secret in srs.secret). Publish this record:
            \(DNSRecordPlan.dkimLine(name: key.recordName, record: key.publicKeyRecord))
            `tsubame dns records \(key.domain)` shows everything the domain's zone needs (MX, SPF, DKIM, DMARC);
            `tsubame dns check \(key.domain)` verifies it once published.
            """)
        }
    }

    static func ownerNote(_ owner: SystemAccount?) -> String {
        if let owner {
            return "Owned by \(owner.userName) ([server] user): `serve` started as root binds the ports, then runs as \(owner.userName).\n"
        }
        guard geteuid() == 0 else { return "" }
        return "No [server] user: `serve` would stay root. Create the user tsubame, set [server] user and chown the folder (see README).\n"
    }
}
