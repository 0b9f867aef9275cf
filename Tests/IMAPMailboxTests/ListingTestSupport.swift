#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import IMAPProtocol
@testable import IMAPMailbox
@testable import IMAPStore

/// A temporary Maildir++ root for the listing and folder command tests, removed at deinit.
final class ListingMaildir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tsubame-listing-\(UUID().uuidString)"
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: "\(path)/\(sub)", withIntermediateDirectories: true)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Folders by their wire names ("A.B", "Entw&APw-rfe"), as Dovecot would make them.
    func makeFolders(_ names: [String]) throws {
        for name in names {
            let directory = "\(path)/.\(name)"
            for sub in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
            }
            _ = FileManager.default.createFile(atPath: "\(directory)/maildirfolder", contents: Data())
        }
    }

    /// A version-2 subscriptions file with these wire names.
    func subscribe(_ names: [String]) throws {
        let lines = names.map { $0.replacingOccurrences(of: ".", with: "\t") + "\n" }.joined()
        try ("V\t2\n\n" + lines).write(toFile: "\(path)/subscriptions", atomically: true, encoding: .utf8)
    }

    func write(_ relative: String, _ text: String) {
        _ = FileManager.default.createFile(atPath: "\(path)/\(relative)", contents: Data(text.utf8))
    }

    func entries(_ relative: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(relative)")) ?? []).sorted()
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(path)/\(relative)")
    }
}

/// The untagged responses as the wire shows them, without CRLF.
func wireLines(_ responses: [IMAPResponse]) -> [String] {
    responses.map { response in
        var buffer = IMAPResponseEncoder.encode(response)
        let text = buffer.readString(length: buffer.readableBytes) ?? ""
        return text.hasSuffix("\r\n") ? String(text.dropLast()) : text  // "\r\n" is one Character
    }
}

/// Runs one LIST or LSUB command line ("LIST (SUBSCRIBED) \"\" \"*\"") through the parser and
/// the listing; STATUS answers MESSAGES 0, UIDNEXT 1 etc. for an empty folder.
func listing(_ line: String, root: String) throws -> [String] {
    let command = try IMAPCommandParser.parse("t " + line).get().command
    let listing = MailboxListing(root: root)
    switch command {
    case .list(let list):
        return wireLines(try listing.list(list) { _, items in
            items.map { IMAPStatusValue($0, $0 == .uidNext || $0 == .uidValidity ? 1 : 0) }
        })
    case .lsub(let reference, let pattern):
        return wireLines(try listing.lsub(reference: reference, pattern: pattern))
    default:
        throw ListingTestFailure(description: "not LIST/LSUB: \(line)")
    }
}

struct ListingTestFailure: Error, CustomStringConvertible {
    var description: String
}

/// Debian's Dovecot 2.3 `imap` run pre-authenticated over a pipe on a test's Maildir, with the
/// special-use folders configured as `mailbox X { special_use = … }` (Debian's 15-mailboxes.conf
/// style). A copy of IMAPStoreTests' DovecotPeer, for this test target.
struct ListingDovecotPeer {
    static let imapBinary = "/usr/lib/dovecot/imap"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: imapBinary) }

    let maildir: String
    let scratch: String
    let configPath: String
    let user: (uid: UInt32, gid: UInt32, name: String)

    init(maildir: String) throws {
        self.maildir = maildir
        scratch = NSTemporaryDirectory() + "tsubame-listing-dovecot-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        configPath = "\(scratch)/dovecot.conf"
        user = getuid() == 0 ? (65534, 65534, "nobody") : (getuid(), getgid(), "tester")
        let specialUse = MaildirFolders.specialUse.map { "  mailbox \($0.name) {\n    special_use = \($0.attribute)\n  }\n" }.joined()
        let config = """
            # A private config for the IMAPMailbox differential tests, not the system one.
            mail_uid = \(user.uid)
            mail_gid = \(user.gid)
            first_valid_uid = 1
            first_valid_gid = 1
            mail_location = maildir:\(maildir)
            log_path = \(scratch)/dovecot.log
            namespace inbox {
              inbox = yes
            \(specialUse)}

            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func removeScratch() { try? FileManager.default.removeItem(atPath: scratch) }

    /// Sends the tagged commands (CRLF added), one session each so nothing runs in parallel,
    /// and returns what Dovecot answered to each.
    func imap(_ command: String) throws -> String {
        if getuid() == 0 { _ = try run("/bin/chown", ["-R", "\(user.uid):\(user.gid)", maildir], input: "") }
        return try run(Self.imapBinary, ["-c", configPath], input: command + "\r\n")
    }

    private func run(_ executable: String, _ arguments: [String], input: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ["USER": user.name, "HOME": scratch, "PATH": "/usr/bin:/bin"]
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

/// Dovecot's untagged LIST/LSUB/STATUS lines, normalised for comparison: \Marked and \UnMarked
/// (which Dovecot sends from its index, and we never) dropped; each STATUS stays after its LIST;
/// the groups sorted (LIST order is not defined by RFC 3501, Dovecot's is readdir order);
/// the CHILDINFO tag unquoted (our encoder writes the astring quoted, Dovecot as an atom: both
/// are RFC 5258's `mbox-list-extended-item-tag = astring`).
func normalisedGroups(_ lines: [String]) -> [String] {
    var groups: [String] = []
    for line in lines where line.hasPrefix("* LIST ") || line.hasPrefix("* LSUB ") || line.hasPrefix("* STATUS ") {
        var cleaned = line
        for attribute in [" \\UnMarked", "\\UnMarked ", "\\UnMarked", " \\Marked", "\\Marked ", "\\Marked"] {
            cleaned = cleaned.replacingOccurrences(of: attribute, with: "")
        }
        cleaned = cleaned.replacingOccurrences(of: "(\"CHILDINFO\" (", with: "(CHILDINFO (")
        if cleaned.hasPrefix("* STATUS "), !groups.isEmpty {
            groups[groups.count - 1] += " | " + cleaned
        } else {
            groups.append(cleaned)
        }
    }
    return groups.sorted()
}
