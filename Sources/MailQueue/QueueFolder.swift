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
    public func removeMessageFile(_ fileName: String) throws {
        let file = messagePath(fileName)
        if unlink(file) != 0, errno != ENOENT { throw QueueFileError(operation: "unlink", path: file, code: errno) }
        try FileSync.directory(messagesPath)
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
