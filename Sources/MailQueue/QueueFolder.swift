import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The queue's place in the data folder: `DATA/queue/messages/NAME` holds each message's
/// content (written once, never changed), `DATA/queue.sqlite` its envelope and state,
/// `DATA/queue/tmp/` spool files, and `DATA/queue/new/` what the first format left behind.
public struct QueueFolder: Sendable {
    /// DATA/queue
    public let path: String

    public init(dataDirectory: String) { self.path = "\(dataDirectory)/queue" }

    public var messagesPath: String { "\(path)/messages" }
    public var legacyNewPath: String { "\(path)/new" }
    public func messagePath(_ fileName: String) -> String { "\(messagesPath)/\(fileName)" }
    public static func databasePath(dataDirectory: String) -> String { "\(dataDirectory)/queue.sqlite" }

    /// Creates messages/ (0700) if missing, and syncs the folder whose entries changed.
    public func createMessagesFolder() throws {
        for folder in [path, messagesPath] {
            if mkdir(folder, 0o700) == 0 {
                try FileSync.directory(FileSync.parent(of: folder))
            } else if errno != EEXIST {
                throw QueueFileError(operation: "mkdir", path: folder, code: errno)
            }
        }
    }

    /// Unlinks a message file whose rows are gone, durably. A missing file is not an error:
    /// a crash may have come between the unlink and a second attempt.
    ///
    /// Without `syncing`, a crash may bring the file back: it is then an orphan without rows,
    /// which `removeOrphans` deletes at the next start. The delivery path saves a directory
    /// sync per message that way (Postfix does not sync its removals either).
    public func removeMessageFile(_ fileName: String, syncing: Bool = true) throws {
        let file = messagePath(fileName)
        if unlink(file) != 0, errno != ENOENT { throw QueueFileError(operation: "unlink", path: file, code: errno) }
        if syncing { try FileSync.directory(messagesPath) }
    }

    /// Deletes files in messages/ that no queued message names and that are older than
    /// `minimumAge` (a file is linked before its rows are committed: a young one may be an
    /// enqueue in progress). Returns their names.
    public func removeOrphans(keeping referenced: Set<String>, minimumAge: TimeInterval = 3600,
                              now: Date = Date()) throws -> [String] {
        guard let directory = opendir(messagesPath) else {
            if errno == ENOENT { return [] }
            throw QueueFileError(operation: "opendir", path: messagesPath, code: errno)
        }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != ".", name != "..", !referenced.contains(name) { names.append(name) }
        }
        closedir(directory)
        var removed: [String] = []
        for name in names {
            var status = stat()
            guard stat(messagePath(name), &status) == 0, status.st_mode & S_IFMT == S_IFREG,
                  now.timeIntervalSince1970 - TimeInterval(status.st_mtim.tv_sec) >= minimumAge else { continue }
            if unlink(messagePath(name)) == 0 { removed.append(name) }
        }
        if !removed.isEmpty { try FileSync.directory(messagesPath) }
        return removed
    }
}

/// A failed system call on a queue file.
public struct QueueFileError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

enum FileSync {
    /// fsync on a directory makes the names created or removed in it durable.
    static func directory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw QueueFileError(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw QueueFileError(operation: "fsync", path: path, code: errno) }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
