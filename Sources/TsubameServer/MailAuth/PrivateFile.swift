#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small private files of the data folder (DKIM keys, their `active` lists, the SRS secret):
/// written whole or not at all (a temporary file, fsync, then rename or link, then fsync of the
/// folder), read back refusing anything others could read.
enum PrivateFile {
    static let fileMode: mode_t = 0o600
    static let directoryMode: mode_t = 0o700
    /// Keys and secrets are a few kilobytes; anything larger is not one.
    static let maximumSize = 64 * 1024

    enum Failure: Error, CustomStringConvertible {
        case fileSystem(String, String)
        case exists(String)
        case tooOpen(String, mode_t)
        case tooLarge(String)

        var description: String {
            switch self {
            case .fileSystem(let what, let reason): "\(what): \(reason)"
            case .exists(let path): "\(path) exists already"
            case .tooOpen(let path, let mode):
                "\(path) is readable by others (mode \(String(mode & 0o777, radix: 8))); chmod 600 it"
            case .tooLarge(let path): "\(path) is over \(PrivateFile.maximumSize) octets"
            }
        }
    }

    /// Creates the folder (mode 0700), or tightens an existing one to 0700; its parent must exist.
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, directoryMode) != 0 && errno != EEXIST {
            throw Failure.fileSystem("cannot create \(path)", errnoText())
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Failure.fileSystem("cannot use \(path)", "not a folder")
        }
        if info.st_mode & 0o7777 != directoryMode, chmod(path, directoryMode) != 0 {
            throw Failure.fileSystem("cannot set mode 0700 on \(path)", errnoText())
        }
    }

    /// Writes `bytes` to `path` with mode 0600. With `replace` false an existing file is never
    /// touched: the new one is linked into place, which fails with `.exists` if another process
    /// got there first (two first starts racing for one secret keep the same one).
    static func store(_ bytes: [UInt8], at path: String, replace: Bool) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard fd >= 0 else { throw Failure.fileSystem("cannot create \(temporary)", errnoText()) }
        defer { unlink(temporary) }
        var failure: String?
        // open() applies the umask, which can only remove bits; fchmod sets the mode exactly.
        if fchmod(fd, fileMode) != 0 { failure = errnoText() }
        var offset = 0
        while failure == nil && offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { failure = errnoText() } else { offset += written }
        }
        if failure == nil && fsync(fd) != 0 { failure = errnoText() }
        if close(fd) != 0 && failure == nil { failure = errnoText() }
        if let failure { throw Failure.fileSystem("cannot write \(path)", failure) }
        if replace {
            guard rename(temporary, path) == 0 else { throw Failure.fileSystem("cannot replace \(path)", errnoText()) }
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST { throw Failure.exists(path) }
                throw Failure.fileSystem("cannot create \(path)", errnoText())
            }
        }
        syncDirectory(of: path)
    }

    /// The whole file; refused when group or others may read or write it, as ssh refuses a
    /// private key: the secret would already be out.
    static func load(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure.fileSystem("cannot read \(path)", errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure.fileSystem("cannot read \(path)", errnoText()) }
        guard info.st_mode & 0o077 == 0 else { throw Failure.tooOpen(path, info.st_mode) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure.fileSystem("cannot read \(path)", errnoText()) }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            guard bytes.count <= maximumSize else { throw Failure.tooLarge(path) }
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 else { throw Failure.fileSystem("cannot delete \(path)", errnoText()) }
        syncDirectory(of: path)
    }

    private static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
