#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaildirStore

/// The ids one thread runs with, as the `Uid:`, `Gid:` and `Groups:` lines of
/// /proc/PID/task/TID/status give them (proc(5)): real, effective, saved and filesystem ids,
/// and the supplementary groups.
struct ThreadCredentials: Equatable, CustomStringConvertible {
    var uids: [UInt32]
    var gids: [UInt32]
    var groups: [UInt32]

    init(uids: [UInt32], gids: [UInt32], groups: [UInt32]) {
        self.uids = uids
        self.gids = gids
        self.groups = groups
    }

    /// Reads the three lines from a status file's text; nil when one is missing or malformed.
    init?(status text: String) {
        var fields: [String: [UInt32]] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            guard ["Uid", "Gid", "Groups"].contains(key) else { continue }
            let numbers = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            let values = numbers.compactMap { UInt32($0) }
            guard values.count == numbers.count else { return nil }
            fields[key] = values
        }
        guard let uids = fields["Uid"], uids.count == 4, let gids = fields["Gid"], gids.count == 4,
              let groups = fields["Groups"] else { return nil }
        self.init(uids: uids, gids: gids, groups: groups)
    }

    /// What every thread must show once the process runs as `account` for good.
    static func dropped(to account: SystemAccount) -> ThreadCredentials {
        ThreadCredentials(uids: Array(repeating: UInt32(account.uid), count: 4),
                          gids: Array(repeating: UInt32(account.gid), count: 4), groups: [UInt32(account.gid)])
    }

    var description: String {
        "Uid: \(uids.map { String($0) }.joined(separator: " ")), Gid: \(gids.map { String($0) }.joined(separator: " ")), "
            + "Groups: \(groups.map { String($0) }.joined(separator: " "))"
    }

    /// Each thread of this process ("TID (NAME)") with its ids (nil when its status could not be
    /// read). A thread that ended while being listed is left out. Empty where there is no /proc.
    static func ofEveryThread() -> [(thread: String, credentials: ThreadCredentials?)] {
        guard let threads = try? DirectoryListing.names(in: "/proc/self/task") else { return [] }
        return threads.compactMap { thread in
            let name = readProcFile("/proc/self/task/\(thread)/comm").map { "\(thread) (\($0.filter { $0 != "\n" }))" } ?? thread
            guard let text = readProcFile("/proc/self/task/\(thread)/status") else {
                return access("/proc/self/task/\(thread)", F_OK) == 0 ? (name, nil) : nil
            }
            return (name, ThreadCredentials(status: text))
        }
    }

    /// The whole of a /proc file: such files say their size is 0, so read until the end.
    private static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
