import ArgumentParser
import TsubameConfig
import TsubameServer

/// `tsubame dns records|check`: what a mail domain's zone needs, and whether it has it.
struct DNSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns", abstract: "The DNS records a domain needs: print them, or check them.",
        subcommands: [Records.self, Check.self])

    struct Records: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the zone-file lines to publish for a domain (MX, SPF, DKIM, DMARC, A/AAAA, and the PTR to ask for).")
        @Argument var domain: String
        @Option(name: .customLong("ip"), help: "A public address of this server (repeatable): adds its A/AAAA and PTR lines.")
        var addresses: [String] = []
        @OptionGroup var options: DataOption

        func validate() throws {
            for address in addresses where !DNSRecordPlan.isAddress(address) {
                throw ValidationError("--ip \(address) is not an IPv4 or IPv6 address")
            }
        }

        func run() throws {
            let config = try options.loadConfiguration()
            let keys = try options.openDKIMKeys().list(domain: domain)
            for line in DNSRecordPlan.lines(domain: domain.lowercased(), hostname: config.hostname, addresses: addresses, keys: keys) {
                print(line)
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look up a domain's records through the configured resolvers and say what is missing or wrong.",
            discussion: "Exits 1 when anything is missing or wrong (or could not be looked up); WARN lines are advice.")
        @Argument var domain: String
        @OptionGroup var options: DataOption

        func run() async throws {
            let config = try options.loadConfiguration()
            let keys = try options.openDKIMKeys().list(domain: domain)
            let resolver = try DNSSetupCheck.resolver(config)
            let findings = await DNSSetupCheck.run(domain: domain.lowercased(), hostname: config.hostname, keys: keys, dns: resolver)
            for finding in findings { printNow(finding.line) }
            if findings.contains(where: \.status.isProblem) { throw ExitCode(1) }
        }
    }
}

extension DataOption {
    /// tsubame.toml, or the reasons it cannot be used.
    func loadConfiguration() throws -> TsubameConfiguration {
        guard folder.exists else {
            throw ValidationError("\(folder.path) is not a Tsubame data folder; create it with `tsubame init` or `tsubame serve`")
        }
        switch ConfigLoader.load(path: folder.configPath) {
        case .success(let config): return config
        case .failure(let issues):
            for issue in issues.issues { printError("\(folder.configPath): \(issue)") }
            throw ExitCode(1)
        }
    }
}
