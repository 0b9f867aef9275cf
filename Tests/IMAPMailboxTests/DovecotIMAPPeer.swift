#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Debian's Dovecot 2.3 `imap` run pre-authenticated over a pipe (as IMAPStoreTests'
/// DovecotPeer does, with its own config pointing at the test's Maildir), driven one command
/// at a time: Dovecot runs pipelined commands in parallel, so each waits for its tagged answer.
struct DovecotIMAPPeer {
    static let imapBinary = "/usr/lib/dovecot/imap"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: imapBinary) }

    let maildir: String
    let home: String
    let configPath: String
    let user: (uid: UInt32, gid: UInt32, name: String)

    init(maildir: String, scratch: String) throws {
        self.maildir = maildir
        home = scratch
        configPath = "\(scratch)/dovecot.conf"
        // Dovecot refuses to run as root: a root test hands the Maildir to nobody.
        user = getuid() == 0 ? (65534, 65534, "nobody") : (getuid(), getgid(), "tester")
        let config = """
            # A private config for the IMAPMailbox differential tests, not the system one.
            mail_uid = \(user.uid)
            mail_gid = \(user.gid)
            first_valid_uid = 1
            first_valid_gid = 1
            mail_location = maildir:\(maildir)
            log_path = \(scratch)/dovecot.log

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Each command's answer lines (CRLF removed), the greeting left out.
    func session(_ commands: [String]) throws -> [[String]] {
        if getuid() == 0 { _ = system("chown -R \(user.uid):\(user.gid) '\(maildir)'") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.imapBinary)
        process.arguments = ["-c", configPath]
        process.environment = ["USER": user.name, "HOME": home, "PATH": "/usr/bin:/bin"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
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
        if getuid() == 0 { _ = system("chown -R 0:0 '\(maildir)'") }
        return answers
    }
}
