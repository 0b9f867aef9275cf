#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Debian's Dovecot 2.3 `imap` run over a pipe, pre-authenticated (copied in part from
/// IMAPStoreTests' DovecotPeer): its own config points `mail_location` at the test's Maildir.
/// Dovecot refuses to work as root, so a root test hands the Maildir to `nobody` first.
struct DovecotPeer {
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
        user = getuid() == 0 ? (65534, 65534, "nobody") : (getuid(), getgid(), "tester")
        let config = """
            # A private config for the IMAPMessage differential tests, not the system one.
            mail_uid = \(user.uid)
            mail_gid = \(user.gid)
            first_valid_uid = 1
            first_valid_gid = 1
            mail_location = maildir:\(maildir)
            log_path = /dev/null

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Sends the raw command text and returns what Dovecot answered.
    func imap(_ input: [UInt8]) throws -> [UInt8] {
        if getuid() == 0 {
            let chown = Process()
            chown.executableURL = URL(fileURLWithPath: "/bin/chown")
            chown.arguments = ["-R", "\(user.uid):\(user.gid)", maildir]
            try chown.run()
            chown.waitUntilExit()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.imapBinary)
        process.arguments = ["-c", configPath]
        process.environment = ["USER": user.name, "HOME": home, "PATH": "/usr/bin:/bin"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Write from another thread: a large answer must not block Dovecot while we still write.
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
