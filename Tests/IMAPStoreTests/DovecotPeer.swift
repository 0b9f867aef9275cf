#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Debian's Dovecot 2.3 (`dovecot-imapd`, `dovecot-pop3d`) run over a pipe, pre-authenticated,
/// the way Dovecot documents running `imap` from a shell: no master, no auth server, no
/// socket. Its own config file points `mail_location` at the test's Maildir. Dovecot refuses
/// to work as root, so a root test hands the Maildir to `nobody` first.
struct DovecotPeer {
    static let imapBinary = "/usr/lib/dovecot/imap"
    static let pop3Binary = "/usr/lib/dovecot/pop3"
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
            # A private config for the IMAPStore differential tests, not the system one.
            mail_uid = \(user.uid)
            mail_gid = \(user.gid)
            first_valid_uid = 1
            first_valid_gid = 1
            mail_location = maildir:\(maildir)
            log_path = \(scratch)/dovecot.log
            pop3_uidl_format = %08Xu%08Xv

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Gives the Maildir to the user Dovecot runs as (only needed when the test runs as root).
    func handOver() throws {
        guard getuid() == 0 else { return }
        _ = try run("/bin/chown", ["-R", "\(user.uid):\(user.gid)", maildir], input: "")
    }

    /// Sends the tagged commands (CRLF added) and returns what Dovecot answered.
    func imap(_ commands: [String]) throws -> String {
        try handOver()
        return try run(Self.imapBinary, ["-c", configPath], input: commands.map { $0 + "\r\n" }.joined())
    }

    func pop3(_ commands: [String]) throws -> String {
        try handOver()
        return try run(Self.pop3Binary, ["-c", configPath], input: commands.map { $0 + "\r\n" }.joined())
    }

    private func run(_ executable: String, _ arguments: [String], input: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["USER": user.name, "HOME": home, "PATH": "/usr/bin:/bin"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }
}

/// Pieces of Dovecot's answers.
enum IMAPAnswer {
    /// `* LIST (...) "." NAME` → NAME, for LIST or LSUB.
    static func names(_ output: String, kind: String) -> [String] {
        lines(output).compactMap { line in
            guard line.hasPrefix("* \(kind) ") else { return nil }
            guard let separator = line.range(of: "\".\" ") else { return nil }
            var name = String(line[separator.upperBound...])
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            return name
        }
    }

    /// `* OK [UIDVALIDITY n]` of the SELECT.
    static func uidValidity(_ output: String) -> UInt32? {
        for line in lines(output) {
            if let range = line.range(of: "[UIDVALIDITY ") {
                return UInt32(line[range.upperBound...].prefix { $0.isNumber })
            }
        }
        return nil
    }

    /// `* n FETCH (UID u FLAGS (a b))` → u: [a, b], sorted.
    static func flagsByUID(_ output: String) -> [UInt32: [String]] {
        var result: [UInt32: [String]] = [:]
        for line in lines(output) where line.hasPrefix("* ") && line.contains(" FETCH (") {
            guard let uidRange = line.range(of: "UID "), let flagsRange = line.range(of: "FLAGS (") else { continue }
            let uid = UInt32(line[uidRange.upperBound...].prefix { $0.isNumber })
            let flags = line[flagsRange.upperBound...].prefix { $0 != ")" }
                .split(separator: " ").map(String.init).filter { $0 != "\\Recent" }.sorted()
            if let uid { result[uid] = flags }
        }
        return result
    }

    /// `* STATUS name (UIDNEXT n UIDVALIDITY v)` → (v, n).
    static func status(_ output: String) -> (uidValidity: UInt32, uidNext: UInt32)? {
        for line in lines(output) where line.hasPrefix("* STATUS ") {
            func number(_ key: String) -> UInt32? {
                line.range(of: "\(key) ").flatMap { UInt32(line[$0.upperBound...].prefix { $0.isNumber }) }
            }
            if let validity = number("UIDVALIDITY"), let next = number("UIDNEXT") { return (validity, next) }
        }
        return nil
    }

    /// `[APPENDUID v u]` of an APPEND.
    static func appendUID(_ output: String) -> UInt32? {
        for line in lines(output) {
            if let range = line.range(of: "[APPENDUID ") {
                let fields = line[range.upperBound...].prefix { $0 != "]" }.split(separator: " ")
                if fields.count == 2 { return UInt32(fields[1]) }
            }
        }
        return nil
    }

    /// POP3 `UIDL` listing lines `n uidl` → [uidl] in message order (the only answer here
    /// whose lines start with a number).
    static func uidls(_ output: String) -> [String] {
        lines(output).compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 2, fields[0].allSatisfy(\.isNumber) else { return nil }
            return String(fields[1])
        }
    }

    static func lines(_ output: String) -> [String] {
        // "\r\n" is one Character in Swift: split on both.
        output.split { $0 == "\n" || $0 == "\r\n" }.map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
    }
}
