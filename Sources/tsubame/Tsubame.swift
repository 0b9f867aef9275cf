import ArgumentParser
import TsubameServer

@main
struct Tsubame: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsubame",
        abstract: "An all-in-one mail server: SMTP in, Maildir storage, secure by default.",
        subcommands: [InitCommand.self, ServeCommand.self, UserCommand.self, DomainCommand.self,
                      AliasCommand.self, ConfigCommand.self, CACommand.self, CertCommand.self])
}

/// `--data DIR`, shared by every command.
struct DataOption: ParsableArguments {
    @Option(name: .long, help: "The data folder (config, directory, mail).")
    var data: String = "./tsubame-data"

    var folder: DataFolder { DataFolder(path: data) }
}
