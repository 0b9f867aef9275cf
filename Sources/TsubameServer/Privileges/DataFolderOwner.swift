#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The admin commands (`user`, `domain`, `alias`, `ca`, `cert`) run by root on a data folder
/// another user owns run as that user, as Postfix's postmap runs as the owner of its map: what
/// they create (a Maildir, a key, a CRL) then belongs to the user `serve` runs as, which must
/// read and write it, and which refuses to start on a folder holding files root owns.
public enum DataFolderOwner {
    /// Becomes the owner of `folder` for the rest of the process, when run as root on a folder
    /// owned by someone else; otherwise does nothing.
    public static func become(of folder: String) throws {
        var info = stat()
        guard geteuid() == 0, stat(folder, &info) == 0, info.st_uid != 0 else { return }
        let (uid, gid) = (info.st_uid, info.st_gid)
        // Groups first: once the uid is not root, neither the groups nor the gid can change.
        guard setgroups(1, [gid]) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw PrivilegeError.dropFailed("cannot become the owner of \(folder) (uid \(uid)): \(String(cString: strerror(errno)))")
        }
        guard setuid(0) != 0, geteuid() == uid, getegid() == gid else {
            throw PrivilegeError.dropFailed("still root after becoming the owner of \(folder)")
        }
    }
}
