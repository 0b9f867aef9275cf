import Foundation
import IMAPStore
@testable import IMAPMailbox
import Testing

/// The same command script against Dovecot 2.3 and against IMAPMailbox, on copies of one
/// Maildir (same uidlists, so the same UIDVALIDITYs and UIDs); the answers must agree.
///
/// Normalisations (everything else is compared as sent):
/// 1. the timings Dovecot appends to tagged texts, ` (0.001 + 0.000 secs).` → `.`;
/// 2. Dovecot's greeting (PREAUTH) is not compared (the session core sends its own);
/// 3. `\Recent` in FLAGS and the `* n RECENT` lines (dropped): Dovecot derives them from its
///    own index (absent here), and found only one of two new/ messages recent on first sight
///    of a uidlist written by IMAPStore; our boundary starts at UID 1 without a cache;
/// 4. INTERNALDATE's day: Dovecot writes `01-Jan-2020`, IMAPProtocol's encoder ` 1-Jan-2020`
///    (RFC 3501 date-day-fixed allows both).
@Suite(.enabled(if: DovecotIMAPPeer.available, "Dovecot is not installed (apt-get install dovecot-imapd)"))
struct DovecotSessionDifferentialTests {
    static let script = [
        "a SELECT INBOX",
        "b FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE)",
        "c STORE 1 +FLAGS (\\Seen)",
        "d STORE 2 FLAGS (\\Deleted \\Flagged)",
        "e UID STORE 3 +FLAGS.SILENT (\\Answered)",
        "f FETCH 1:* FLAGS",
        "g SEARCH UNSEEN",
        "h UID SEARCH DELETED",
        "i SEARCH SUBJECT beta",
        "j SEARCH FROM carol@example.org",
        "k UID COPY 2:4 Trash",
        "l FETCH 9 FLAGS",
        "m EXPUNGE",
        "n FETCH 1:* (UID FLAGS)",
        "o UID FETCH 1:* (RFC822.SIZE INTERNALDATE)",
        "p UID FETCH 2 FLAGS",
        "q STORE 1:2 -FLAGS (\\Seen)",
        "r STATUS Trash (MESSAGES RECENT UIDNEXT UNSEEN)",
        "s UID STORE 4 +FLAGS ($Work)",
        "t SEARCH KEYWORD $Work",
        "u NOOP",
        "u1 APPEND INBOX (\\Seen $Work) \"01-Jan-2020 10:00:00 +0100\" {25+}\r\nSubject: appended\r\n\r\nhi\r\n",
        "u2 UID FETCH 5:* (FLAGS INTERNALDATE RFC822.SIZE)",
        "u3 UID STORE 1 +FLAGS.SILENT (\\Deleted)",
        "u4 UID EXPUNGE 1,3",
        "u5 UID MOVE 4 Trash",
        "u6 SEARCH ALL",
        "u7 UID SEARCH ALL",
        "v EXAMINE Trash",
        "w FETCH 1:* (UID FLAGS RFC822.SIZE)",
        "x STORE 1 +FLAGS (\\Deleted)",
        "y CHECK",
        "z UNSELECT",
    ]

    static func normalized(_ line: String) -> String {
        var line = line.replacingOccurrences(of: " \\Recent", with: "").replacingOccurrences(of: "(\\Recent ", with: "(")
            .replacingOccurrences(of: "(\\Recent)", with: "()")
        if line.hasPrefix("* "), line.hasSuffix(" RECENT") { line = "" }
        if let range = line.range(of: #"INTERNALDATE "0\d-"#, options: .regularExpression) {
            line.replaceSubrange(line.index(range.lowerBound, offsetBy: 14)..<line.index(range.lowerBound, offsetBy: 15), with: " ")
        }
        guard let range = line.range(of: #" \(\d+\.\d+ \+ \d+\.\d+( \+ \d+\.\d+)? secs\)\.$"#, options: .regularExpression) else {
            return line
        }
        return line.replacingCharacters(in: range, with: ".")
    }

    func makeMaildir(_ root: String) throws {
        let maildir = TestMaildirAt(root)
        let messages: [(directory: String, flags: String, from: String, subject: String)] = [
            ("new", "", "alice", "alpha"), ("cur", ":2,S", "bob", "beta"), ("cur", ":2,F", "carol", "gamma"),
            ("new", "", "dave", "delta"),
        ]
        for (index, message) in messages.enumerated() {
            let text = "From: \(message.from)@example.org\nSubject: \(message.subject)\n\nbody number \(index)\n"
            let size = text.utf8.count, lines = text.utf8.count { $0 == UInt8(ascii: "\n") }
            let name = "\(1_700_000_001 + index).M1P1Q\(index).host,S=\(size),W=\(size + lines)\(message.flags)"
            maildir.put("\(message.directory)/\(name)", text, mtime: 1_700_000_001 + index)
        }
        let folders = MaildirFolders(root: root)
        try folders.create(try MailboxName(imap: "Trash"))
        _ = try folders.mailbox(.inbox).synchronize()
        _ = try folders.mailbox(try MailboxName(imap: "Trash")).synchronize()
    }

    @Test func sameAnswersAsDovecot() throws {
        let base = TestMaildir()
        try makeMaildir(base.path)
        let ours = TestMaildir(), theirs = TestMaildir(), scratch = TestMaildir()
        #expect(system("cp -a '\(base.path)/.' '\(ours.path)/' && cp -a '\(base.path)/.' '\(theirs.path)/'") == 0)

        let dovecot = try DovecotIMAPPeer(maildir: theirs.path, scratch: scratch.path)
        let expected = try dovecot.session(Self.script).map { $0.map(Self.normalized).filter { !$0.isEmpty } }
        #expect(expected.count == Self.script.count)

        let store = IMAPMailStore(configuration: IMAPMailConfiguration(cacheEnabled: true))
        // The special-use folders openAccount makes are not in the script; make them in both.
        let client = TestClient(try store.openAccount(maildir: ours.path))
        var answers: [[String]] = []
        for line in Self.script { answers.append(try client.send(line).map(Self.normalized).filter { !$0.isEmpty }) }

        for (index, line) in Self.script.enumerated() {
            #expect(answers[index] == expected[index], "\(line)")
        }
    }
}

/// TestMaildir's file helpers for a directory that exists already.
struct TestMaildirAt {
    let path: String

    init(_ path: String) { self.path = path }

    func put(_ relative: String, _ text: String, mtime: Int) {
        let full = "\(path)/\(relative)"
        let descriptor = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(descriptor >= 0, "open \(full)")
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
        futimens(descriptor, &times)
        close(descriptor)
    }
}
