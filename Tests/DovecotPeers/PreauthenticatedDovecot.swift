#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Debian's Dovecot 2.3 (`dovecot-imapd`, `dovecot-pop3d`) run over a pipe, pre-authenticated,
/// the way Dovecot documents running `imap` from a shell: no master, no auth server, no socket.
/// Its own config file points `mail_location` at the test's Maildir. Dovecot refuses to work as
/// root, so a root test hands the Maildir to `nobody` first (and takes it back after a session).
/// The reference the IMAPStore, IMAPMessage and IMAPMailbox differential tests compare with.
public struct PreauthenticatedDovecot: Sendable {
    public static let imapBinary = "/usr/lib/dovecot/imap"
    public static let pop3Binary = "/usr/lib/dovecot/pop3"
    public static var available: Bool { FileManager.default.isExecutableFile(atPath: imapBinary) }

    public let maildir: String
    public let scratch: String
    public let configPath: String
    let user: (uid: UInt32, gid: UInt32, name: String)

    /// `extraConfig` goes at the end of the config (e.g. a `namespace inbox { … }` block).
    public init(maildir: String, scratch: String, extraConfig: String = "") throws {
        self.maildir = maildir
        self.scratch = scratch
        configPath = "\(scratch)/dovecot.conf"
        user = getuid() == 0 ? (65534, 65534, "nobody") : (getuid(), getgid(), "tester")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let config = """
            # A private config for a differential test, not the system one.
            mail_uid = \(user.uid)
            mail_gid = \(user.gid)
            first_valid_uid = 1
            first_valid_gid = 1
            mail_location = maildir:\(maildir)
            log_path = \(scratch)/dovecot.log
            pop3_uidl_format = %08Xu%08Xv
            \(extraConfig)

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// A peer with a scratch folder of its own in the temporary directory (`removeScratch()`).
    public init(maildir: String, extraConfig: String = "") throws {
        try self.init(maildir: maildir, scratch: NSTemporaryDirectory() + "tsubame-dovecot-\(UUID().uuidString)",
                      extraConfig: extraConfig)
    }

    public func removeScratch() { try? FileManager.default.removeItem(atPath: scratch) }

    /// Gives the Maildir to the user Dovecot runs as (only needed when the test runs as root).
    public func handOver() throws {
        guard getuid() == 0 else { return }
        _ = try run("/bin/chown", ["-R", "\(user.uid):\(user.gid)", maildir], input: [])
    }

    /// Takes the Maildir back for the (root) test after Dovecot worked on it.
    public func takeBack() throws {
        guard getuid() == 0 else { return }
        _ = try run("/bin/chown", ["-R", "0:0", maildir], input: [])
    }

    /// Sends the tagged commands (CRLF added) in one go and returns what Dovecot answered.
    /// Dovecot may run pipelined commands side by side: use `session` where order matters.
    public func imap(_ commands: [String]) throws -> String {
        String(decoding: try imap(Array(commands.map { $0 + "\r\n" }.joined().utf8)), as: UTF8.self)
    }

    /// Raw octets in, raw octets out.
    public func imap(_ input: [UInt8]) throws -> [UInt8] {
        try handOver()
        return try run(Self.imapBinary, ["-c", configPath], input: input)
    }

    public func pop3(_ commands: [String]) throws -> String {
        try handOver()
        let input = Array(commands.map { $0 + "\r\n" }.joined().utf8)
        return String(decoding: try run(Self.pop3Binary, ["-c", configPath], input: input), as: UTF8.self)
    }

    /// One command at a time, each sent after the tagged answer of the one before; returns each
    /// command's answer lines (CRLF removed), the greeting left out.
    public func session(_ commands: [String]) throws -> [[String]] {
        try handOver()
        defer { try? takeBack() }
        let process = makeProcess(Self.imapBinary, ["-c", configPath])
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var pending = ""
        func readUntil(_ done: (String) -> Bool) -> [String] {
            var lines: [String] = []
            while true {
                while let range = pending.range(of: "\r\n") {
                    let line = String(pending[..<range.lowerBound])
                    pending = String(pending[range.upperBound...])
                    lines.append(line)
                    if done(line) { return lines }
                }
                let data = stdout.fileHandleForReading.availableData
                if data.isEmpty { return lines }
                pending += String(decoding: data, as: UTF8.self)
            }
        }
        _ = readUntil { $0.hasPrefix("* PREAUTH") }
        var answers: [[String]] = []
        for command in commands {
            stdin.fileHandleForWriting.write(Data((command + "\r\n").utf8))
            let tag = String(command.prefix { $0 != " " })
            answers.append(readUntil { $0.hasPrefix(tag + " ") })
        }
        try stdin.fileHandleForWriting.close()
        _ = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return answers
    }

    private func makeProcess(_ executable: String, _ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["USER": user.name, "HOME": scratch, "PATH": "/usr/bin:/bin"]
        process.standardError = FileHandle.nullDevice
        return process
    }

    private func run(_ executable: String, _ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let process = makeProcess(executable, arguments)
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        // Written from another thread: a large answer must not block Dovecot while we still write.
        let writer = stdin.fileHandleForWriting
        let data = Data(input)
        let thread = Thread {
            writer.write(data)
            try? writer.close()
        }
        thread.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(output)
    }
}
