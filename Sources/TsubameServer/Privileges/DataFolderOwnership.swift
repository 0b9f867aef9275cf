#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaildirStore

/// Who owns what in the data folder. The server runs as `[server] user`, so everything it reads
/// or writes there must belong to that user: a file root left behind (a key written by a root
/// shell, a Maildir made by hand) would fail later, at a reload or a delivery. `serve` refuses
/// to start on such a folder rather than chown it: a chown walk run by root through a folder
/// another user can write is a classic way to be tricked into handing over files.
public enum DataFolderOwnership {
    /// Folders in mail/ and queue/ that hold one file per message; there may be millions, and
    /// the server writes them itself, so they are not listed.
    static let messageFolders: Set<String> = ["tmp", "new", "cur"]

    /// Entries under `folder` (itself included) not owned by `uid`: every folder, and every
    /// file except messages. Symbolic links are neither followed nor reported (their owner
    /// grants nothing). At most `limit` paths, and how many there are in all.
    static func entries(in folder: String, notOwnedBy uid: uid_t, limit: Int = 5) -> (paths: [String], count: Int) {
        var found: [String] = []
        var count = 0
        walk(folder, skippingMessages: true) { path, info in
            guard (info.st_mode & S_IFMT) != S_IFLNK, info.st_uid != uid else { return }
            count += 1
            if found.count < limit { found.append(path) }
        }
        return (found, count)
    }

    /// Gives everything under a data folder `init` (or a first-run `serve`) has just created,
    /// as root, to `account`. The folder is new and root's alone, so nobody can have planted
    /// links in it; lchown never follows one anyway.
    public static func handOver(_ folder: String, to account: SystemAccount) throws {
        var failure: (String, Int32)?
        walk(folder, skippingMessages: false) { path, _ in
            if failure == nil, lchown(path, account.uid, account.gid) != 0 { failure = (path, errno) }
        }
        if let (path, code) = failure {
            throw DataFolder.InitError.cannotCreate(path, "chown to \(account.userName): \(String(cString: strerror(code)))")
        }
    }

    /// Calls `visit` for `path` and, if it is a folder (not a link to one), for everything in it.
    /// `place` says where the walk is; with `skippingMessages`, a tmp/, new/ or cur/ folder
    /// under mail/ or queue/ is visited but not listed.
    private static func walk(_ path: String, skippingMessages: Bool, place: Place = .top,
                             _ visit: (String, stat) -> Void) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        visit(path, info)
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return }
        if skippingMessages && place == .spool && messageFolders.contains(String(lastComponent(path))) { return }
        guard let names = try? DirectoryListing.names(in: path) else { return }
        for name in names.sorted() {
            let next: Place = place == .top ? (name == "mail" || name == "queue" ? .spool : .other) : place
            walk("\(path)/\(name)", skippingMessages: skippingMessages, place: next, visit)
        }
    }

    private enum Place { case top, spool, other }

    private static func lastComponent(_ path: String) -> Substring {
        path.split(separator: "/").last ?? Substring(path)
    }
}
