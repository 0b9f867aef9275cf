import ArgumentParser
import Dispatch
import TsubameServer

/// The entry point. Not `@main` on the async command itself: an async main hands the main
/// thread to libdispatch's dispatch_main, which parks it for good inside pthread_exit, where
/// glibc's setuid broadcast skips it. After `serve` dropped root, that thread would keep root's
/// ids, and with them the process as `ps` and kill(2) see it (a SIGHUP from the tsubame user
/// would be refused). Here the main thread stays an ordinary thread, waiting for the command.
@main
enum TsubameMain {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        // Detached: main() is MainActor-isolated, and the main queue is never drained here.
        Task.detached {
            await Tsubame.main(nil)
            finished.signal()
        }
        finished.wait()
    }
}

struct Tsubame: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsubame",
        abstract: "An all-in-one mail server: SMTP in, Maildir storage, secure by default.",
        subcommands: [InitCommand.self, ServeCommand.self, UserCommand.self, DomainCommand.self,
                      AliasCommand.self, ConfigCommand.self, CACommand.self, CertCommand.self,
                      QueueCommand.self, DKIMCommand.self, DNSCommand.self])
}

/// `--data DIR`, shared by every command.
struct DataOption: ParsableArguments {
    @Option(name: .long, help: "The data folder (config, directory, mail).")
    var data: String = "./tsubame-data"

    var folder: DataFolder { DataFolder(path: data) }
}
