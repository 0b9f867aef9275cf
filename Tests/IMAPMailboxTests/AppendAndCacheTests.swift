#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPProtocol
import IMAPStore
@testable import IMAPMailbox
import NIOCore
import Testing

@Suite struct AppendTests {
    let maildir = TestMaildir()

    @Test func appendStoresLFWithSizesDateAndFlags() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        let answer = try client.send("a APPEND INBOX (\\Seen $Work) \"17-Jul-1996 02:44:25 -0700\" {21+}\r\nSubject: x\r\n\r\nhello\r\n")
        #expect(answer.count == 1)
        #expect(answer[0].hasPrefix("a OK [APPENDUID "))
        #expect(answer[0].hasSuffix(" 1] Append completed."))
        let names = maildir.names("cur")
        #expect(names.count == 1)
        let name = names[0]
        #expect(name.hasSuffix(",S=18,W=21:2,Sa"))
        #expect(maildir.read("cur/\(name)") == "Subject: x\n\nhello\n")
        #expect(maildir.read("dovecot-keywords") == "0 $Work\n")
        _ = try client.send("b SELECT INBOX")
        #expect(try client.send("c FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)") == [
            "* 1 FETCH (FLAGS (\\Seen \\Recent $Work) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\" RFC822.SIZE 21)",
            "c OK Fetch completed.",
        ])
        #expect(try client.send("d FETCH 1 BODY.PEEK[]") == ["* 1 FETCH (BODY[] {21}", "Subject: x", "", "hello", ")", "d OK Fetch completed."])
    }

    @Test func appendFromAStreamedLiteralFile() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        let literal = session.temporaryLiteralPath()
        #expect(literal.hasPrefix("\(maildir.path)/tmp/"))
        let text = "Subject: streamed\r\n\r\n" + String(repeating: "line of text\r\n", count: 1000)
        let descriptor = open(literal, O_WRONLY | O_CREAT, 0o600)
        _ = Array(text.utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        let command = IMAPTaggedCommand(tag: "a", command: .append(IMAPMailboxName("Drafts"), [
            IMAPAppendMessage(flags: [.draft], data: .streamed(index: 0, size: text.utf8.count)),
        ]))
        let answer = try client.run(command, streamedLiterals: [literal])
        #expect(answer.last?.hasSuffix(" 1] Append completed.") == true)
        #expect(access(literal, F_OK) != 0, "the run removes the literal file")
        let stored = maildir.names(".Drafts/cur")
        #expect(stored.count == 1)
        #expect(stored[0].hasSuffix(",S=\(text.utf8.count - 1002),W=\(text.utf8.count):2,D"))
    }

    @Test func multiappendIsAllOrNothing() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        // Fill all 26 keyword letters, then a MULTIAPPEND whose second message needs a 27th.
        let keywords = (0..<26).map { "k\($0)" }.joined(separator: " ")
        _ = try client.send("a APPEND INBOX (\(keywords)) {3+}\r\nx\r\n")
        #expect(maildir.names("cur").count == 1)
        let answer = try client.send("b APPEND INBOX {3+}\r\ny\r\n (k27) {3+}\r\nz\r\n")
        #expect(answer == ["b NO [LIMIT] Too many keywords: a mailbox holds at most 26."])
        #expect(maildir.names("new").isEmpty)
        #expect(maildir.names("cur").count == 1)
        #expect(maildir.names("tmp").isEmpty)
        let good = try client.send("c APPEND INBOX {3+}\r\ny\r\n {3+}\r\nz\r\n")
        #expect(good.last?.hasSuffix(" 2:3] Append completed.") == true)
    }

    @Test func appendRefusals() throws {
        let (_, session) = try openStore(maildir, configuration: IMAPMailConfiguration(appendLimit: 10))
        let client = TestClient(session)
        #expect(try client.send("a APPEND Nowhere {3+}\r\nx\r\n") == ["a NO [TRYCREATE] Mailbox doesn't exist: Nowhere"])
        #expect(try client.send("b APPEND INBOX {11+}\r\n0123456789\n") == ["b NO [TOOBIG] Message too large (APPENDLIMIT 10)."])
        #expect(maildir.names("new").isEmpty)
    }
}

@Suite struct CacheTests {
    let maildir = TestMaildir()

    init() {
        maildir.put("new/1000000000.M1P1Q1.host,S=40,W=43", "Subject: cached\nFrom: a@example.org\n\nbody\n")
    }

    @Test func recentBoundaryAndStructuresSurviveOwners() throws {
        let client = TestClient(try openStore(maildir).1)
        #expect(try client.send("a SELECT INBOX").contains("* 1 RECENT"))
        let envelope = try client.send("b FETCH 1 (ENVELOPE BODYSTRUCTURE)")
        client.session.close()
        #expect(access("\(maildir.path)/\(MailboxCache.fileName)", F_OK) == 0)

        // A new process: the boundary is in the cache, so nothing is recent again.
        let again = TestClient(try openStore(maildir).1)
        #expect(try again.send("a SELECT INBOX").contains("* 0 RECENT"))
        // The structure comes from the cache even when the file is unreadable.
        let path = "\(maildir.path)/new/1000000000.M1P1Q1.host,S=40,W=43"
        chmod(path, 0)
        defer { chmod(path, 0o600) }
        if getuid() != 0 {
            #expect(try again.send("b FETCH 1 (ENVELOPE BODYSTRUCTURE)") == envelope)
        }
    }

    @Test func internalDatesComeFromTheCacheOnceRead() throws {
        let client = TestClient(try openStore(maildir).1)
        _ = try client.send("a SELECT INBOX")
        let first = try client.send("b FETCH 1 INTERNALDATE")
        client.session.close()
        // The file's mtime changes behind our back; a new process answers from the cache.
        let path = "\(maildir.path)/new/1000000000.M1P1Q1.host,S=40,W=43"
        var times = [timespec(tv_sec: 86_400, tv_nsec: 0), timespec(tv_sec: 86_400, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
        let again = TestClient(try openStore(maildir).1)
        _ = try again.send("a SELECT INBOX")
        #expect(try again.send("b FETCH 1 INTERNALDATE") == first)
    }

    @Test func deletedCacheIsRebuilt() throws {
        let client = TestClient(try openStore(maildir).1)
        _ = try client.send("a SELECT INBOX")
        client.session.close()
        for suffix in ["", "-wal", "-shm"] { unlink("\(maildir.path)/\(MailboxCache.fileName)\(suffix)") }
        let again = TestClient(try openStore(maildir).1)
        let lines = try again.send("a SELECT INBOX")
        #expect(lines.contains("* 1 EXISTS"))
        #expect(lines.contains("* 1 RECENT"), "without the cache the boundary starts again, as with a new Dovecot index")
        #expect(try again.send("b FETCH 1 FLAGS") == ["* 1 FETCH (FLAGS (\\Recent))", "b OK Fetch completed."])
    }

    /// FETCH ENVELOPE reads the header only and caches the envelope alone; a later
    /// BODYSTRUCTURE parses the whole file and adds its own without losing the envelope.
    @Test func envelopeFirstThenBodyStructure() throws {
        maildir.put("cur/1000000001.M2P1Q1.host:2,S", "From: A <a@example.org>\nSubject: two\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n")
        let client = TestClient(try openStore(maildir).1)
        _ = try client.send("a SELECT INBOX")
        let envelope = try client.send("b FETCH 2 ENVELOPE")
        #expect(envelope.first?.hasPrefix("* 2 FETCH (ENVELOPE (NIL \"two\" ((\"A\" NIL \"a\" \"example.org\"))") == true, "\(envelope)")
        let cache = try MailboxCache(root: maildir.path)
        let row = try #require(cache.structure(path: maildir.path, uid: 2))
        #expect(row.envelope != nil && row.bodyStructure == nil)
        let structure = try client.send("c FETCH 2 BODYSTRUCTURE")
        #expect(structure.first?.contains("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) \"mixed\"") == true, "\(structure)")
        let both = try #require(cache.structure(path: maildir.path, uid: 2))
        #expect(both.envelope == row.envelope && both.bodyStructure != nil)
        let envelopeLine: String = try #require(envelope.first), structureLine: String = try #require(structure.first)
        let combined: String = String(envelopeLine.dropLast()) + " " + String(structureLine.dropFirst("* 2 FETCH (".count))
        #expect(try client.send("d FETCH 2 (ENVELOPE BODYSTRUCTURE)").first == combined)
    }

    @Test func uidValidityChangeDropsRows() throws {
        let cache = try MailboxCache(root: maildir.path)
        #expect(cache.folder(path: maildir.path, uidValidity: 7) == nil)
        cache.saveFolder(path: maildir.path, uidValidity: 7, row: .init(highestModSeq: 9, recentBoundary: 3))
        cache.saveModSeqs(path: maildir.path, [(uid: 1, modSeq: 9)])
        cache.saveStructure(path: maildir.path, uid: 1, envelope: [1], bodyStructure: [2])
        #expect(cache.folder(path: maildir.path, uidValidity: 7) == .init(highestModSeq: 9, recentBoundary: 3))
        #expect(cache.modSeqs(path: maildir.path) == [1: 9])
        #expect(cache.structure(path: maildir.path, uid: 1)?.envelope == [1])
        #expect(cache.folder(path: maildir.path, uidValidity: 8) == nil)
        #expect(cache.modSeqs(path: maildir.path).isEmpty)
        #expect(cache.structure(path: maildir.path, uid: 1) == nil)
    }
}

@Suite struct StreamingTests {
    /// A large message goes out in pieces no larger than the budget the glue asks for.
    @Test func largeBodyIsWrittenPiecewise() throws {
        let maildir = TestMaildir()
        let body = String(repeating: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", count: 16_384)
        maildir.put("new/1000000000.M1P1Q1.host", "Subject: big\n\n" + body)
        let (_, session) = try openStore(maildir)
        _ = try TestClient(session).send("a SELECT INBOX")
        guard case .success(let command) = IMAPCommandParser.parse("b FETCH 1 (RFC822.SIZE BODY.PEEK[])") else {
            Issue.record("parse")
            return
        }
        let run = session.start(command)
        var whole = ByteBuffer()
        var pieces = 0
        var done = false
        while !done {
            var piece = ByteBuffer()
            done = try run.writeNext(into: &piece, budget: 16 * 1024)
            #expect(piece.readableBytes <= 16 * 1024)
            pieces += 1
            whole.writeBuffer(&piece)
        }
        let size = 15 + 16_384 * 65 + 1
        #expect(pieces >= size / (16 * 1024))
        let text = String(decoding: whole.readableBytesView, as: UTF8.self)
        #expect(text.hasPrefix("* 1 FETCH (RFC822.SIZE \(size) BODY[] {\(size)}\r\nSubject: big\r\n\r\n0123"))
        #expect(text.hasSuffix("abcde\r\n)\r\nb OK Fetch completed.\r\n"))
    }
}
