import AccountDirectory
import ArgumentParser
import MaildirStore
import TsubameConfig
import TsubameServer

extension DataOption {
    func openDirectory() throws -> SQLiteAccountDirectory {
        guard folder.exists else {
            throw ValidationError("\(folder.path) is not a Tsubame data folder; create it with `tsubame init` or `tsubame serve`")
        }
        try DataFolderOwner.become(of: folder.path)
        return try SQLiteAccountDirectory(path: folder.directoryPath)
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage mail users.",
        subcommands: [Add.self, Remove.self, List.self, Passwd.self, SendAs.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (its domain must exist) and create its Maildir.")
        @Argument(help: "The user's address, e.g. alice@example.org.") var address: String
        @Flag(help: "Read the password from standard input instead of prompting.") var passwordStdin = false
        @OptionGroup var options: DataOption

        func run() throws {
            let directory = try options.openDirectory()
            let password = try PasswordInput.read(fromStandardInput: passwordStdin, confirm: true)
            let mailbox = try directory.addUser(address, password: password)
            try MaildirStore.createMaildir(at: "\(options.folder.mailPath)/\(mailbox.domain)/\(mailbox.localPart)")
            print("added \(mailbox)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user; the Maildir stays on disk.")
        @Argument var address: String
        @OptionGroup var options: DataOption

        func run() throws {
            try options.openDirectory().removeUser(address)
            print("removed \(address) (its mail stays in \(options.folder.mailPath))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @Option(help: "Only this domain.") var domain: String?
        @OptionGroup var options: DataOption

        func run() throws {
            for user in try options.openDirectory().listUsers(domain: domain) { print(user.address) }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a user's password.")
        @Argument var address: String
        @Flag(help: "Read the password from standard input instead of prompting.") var passwordStdin = false
        @OptionGroup var options: DataOption

        func run() throws {
            let directory = try options.openDirectory()
            let password = try PasswordInput.read(fromStandardInput: passwordStdin, confirm: true)
            try directory.setPassword(address, password: password)
            print("password changed for \(address)")
        }
    }
}

extension UserCommand {
    /// `tsubame user send-as add|remove|list`: addresses a user may send as besides its own,
    /// its plus-addresses and the aliases that deliver to it (issue 9, RFC 6409 §6.1).
    struct SendAs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "send-as",
            abstract: "Let a user send as other addresses (or as any address of @DOMAIN) after logging in.",
            subcommands: [Add.self, Remove.self, List.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Let ACCOUNT send as ADDRESS.")
            @Argument(help: "The user, e.g. alice@example.org.") var account: String
            @Argument(help: "An address (need not be local), or @DOMAIN for every address of DOMAIN.")
            var address: String
            @OptionGroup var options: DataOption

            func run() throws {
                try options.openDirectory().addSendAs(account: account, address: address)
                print("\(account.lowercased()) may send as \(address)")
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Withdraw a send-as grant.")
            @Argument var account: String
            @Argument var address: String
            @OptionGroup var options: DataOption

            func run() throws {
                try options.openDirectory().removeSendAs(account: account, address: address)
                print("\(account.lowercased()) may no longer send as \(address)")
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List send-as grants, one per line: ACCOUNT ADDRESS.")
            @Argument(help: "Only this user's grants.") var account: String?
            @OptionGroup var options: DataOption

            func run() throws {
                for grant in try options.openDirectory().listSendAs(account: account) {
                    print("\(grant.account) \(grant.address)")
                }
            }
        }
    }
}

struct DomainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain", abstract: "Manage the domains this server receives mail for.",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: ParsableCommand {
        @Argument var domain: String
        @OptionGroup var options: DataOption
        func run() throws {
            try options.openDirectory().addDomain(domain)
            print("added domain \(domain.lowercased())")
        }
    }

    struct Remove: ParsableCommand {
        @Argument var domain: String
        @OptionGroup var options: DataOption
        func run() throws {
            try options.openDirectory().removeDomain(domain)
            print("removed domain \(domain.lowercased())")
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var options: DataOption
        func run() throws {
            for domain in try options.openDirectory().listDomains() { print(domain) }
        }
    }
}

struct AliasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias",
        abstract: "Manage aliases (to local users, other aliases or remote addresses) and catch-alls (@DOMAIN).",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: ParsableCommand {
        @Argument(help: "The alias address, or @DOMAIN for a catch-all (mail to unknown addresses of DOMAIN).")
        var alias: String
        @Argument(help: "One or more target addresses.") var targets: [String]
        @OptionGroup var options: DataOption
        func run() throws {
            try options.openDirectory().addAlias(alias, targets: targets)
            print("added alias \(alias) -> \(targets.joined(separator: ", "))")
        }
    }

    struct Remove: ParsableCommand {
        @Argument var alias: String
        @OptionGroup var options: DataOption
        func run() throws {
            try options.openDirectory().removeAlias(alias)
            print("removed alias \(alias)")
        }
    }

    struct List: ParsableCommand {
        @Option(help: "Only this domain.") var domain: String?
        @OptionGroup var options: DataOption
        func run() throws {
            for alias in try options.openDirectory().listAliases(domain: domain) {
                print("\(alias.alias) -> \(alias.targets.joined(separator: ", "))")
            }
        }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Work with tsubame.toml.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate tsubame.toml; print each error with its key and line.")
        @OptionGroup var options: DataOption
        func run() throws {
            switch ConfigLoader.load(path: options.folder.configPath) {
            case .success:
                print("\(options.folder.configPath): OK")
            case .failure(let issues):
                for issue in issues.issues { print("\(options.folder.configPath): \(issue)") }
                throw ExitCode(1)
            }
        }
    }
}
