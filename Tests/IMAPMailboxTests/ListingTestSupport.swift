import DovecotPeers
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

/// Dovecot over a pipe (the shared DovecotPeers support target) on a test's Maildir, with the
/// special-use folders configured as `mailbox X { special_use = … }` (Debian's
/// 15-mailboxes.conf style); one session per command, so nothing runs in parallel.
struct ListingDovecotPeer {
    static var available: Bool { PreauthenticatedDovecot.available }

    let dovecot: PreauthenticatedDovecot

    init(maildir: String) throws {
        let specialUse = MaildirFolders.specialUse.map { "  mailbox \($0.name) {\n    special_use = \($0.attribute)\n  }\n" }.joined()
        dovecot = try PreauthenticatedDovecot(maildir: maildir, extraConfig: "namespace inbox {\n  inbox = yes\n\(specialUse)}")
    }

    func removeScratch() { dovecot.removeScratch() }

    /// The tagged command (CRLF added) in a session of its own; what Dovecot answered.
    func imap(_ command: String) throws -> String {
        try dovecot.imap([command])
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
