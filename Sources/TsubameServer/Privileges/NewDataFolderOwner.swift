#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who gets a data folder `tsubame init` creates: the `--user` asked for, or, when root runs
/// it, the conventional `tsubame` user if the system has one; `init` writes it to `[server]
/// user` and chowns the folder to it, so that `serve` started as root runs as that user.
public enum NewDataFolderOwner {
    /// `requested`: nil for the default, "" for none (the folder stays root's).
    public static func choose(requested: String?) throws -> SystemAccount? {
        let isRoot = geteuid() == 0
        guard let requested else { return isRoot ? SystemAccount.conventional().flatMap { $0.uid == 0 ? nil : $0 } : nil }
        if requested.isEmpty { return nil }
        let account = try SystemAccount.lookUp(user: requested)
        guard account.uid != 0 else { throw PrivilegeError.rootAccount(account) }
        guard isRoot || account.uid == geteuid() else { throw OwnerError.needsRoot(account.userName) }
        return account
    }

    public enum OwnerError: Error, CustomStringConvertible {
        case needsRoot(String)

        public var description: String {
            switch self {
            case .needsRoot(let name): return "only root can give the data folder to \(name); run init as root"
            }
        }
    }
}
