import IMAPProtocol
@testable import IMAPMailbox
import Testing

@Suite struct SelectedStateTests {
    let maildir = TestMaildir()

    init() {
        maildir.put("new/1000000000.M1P1Q1.host,S=18,W=21", "Subject: a\n\nfirst\n", mtime: 1_000_000_000)
        maildir.put("cur/1000000001.M1P1Q2.host,S=19,W=22:2,S", "Subject: b\n\nsecond\n", mtime: 1_000_000_001)
        maildir.put("cur/1000000002.M1P1Q3.host,S=18,W=21:2,FS", "Subject: c\n\nthird\n", mtime: 1_000_000_002)
    }

    @Test func selectAnswersAsDovecotDoes() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        let lines = try client.send("a SELECT INBOX")
        let validity = uidValidity(lines)
        #expect(lines == [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.",
            "* 3 EXISTS",
            "* 3 RECENT",
            "* OK [UNSEEN 1] First unseen.",
            "* OK [UIDVALIDITY \(validity)] UIDs valid",
            "* OK [UIDNEXT 4] Predicted next UID",
            "a OK [READ-WRITE] Select completed.",
        ])
        #expect(session.selection == IMAPSelection(name: IMAPMailboxName("INBOX"), readOnly: false))
        // Recent went to this session: an EXAMINE afterwards sees none, and says CLOSED first.
        let examine = try client.send("b EXAMINE INBOX")
        #expect(examine.first == "* OK [CLOSED] Previous mailbox closed.")
        #expect(examine.contains("* OK [PERMANENTFLAGS ()] Read-only mailbox."))
        #expect(examine.contains("* 0 RECENT"))
        #expect(examine.last == "b OK [READ-ONLY] Examine completed.")
    }

    @Test func fetchMetadataAndBodies() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        _ = try client.send("a SELECT INBOX")
        #expect(try client.send("b FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE)") == [
            "* 1 FETCH (FLAGS (\\Recent) RFC822.SIZE 21 INTERNALDATE \"09-Sep-2001 01:46:40 +0000\")",
            "* 2 FETCH (FLAGS (\\Seen \\Recent) RFC822.SIZE 22 INTERNALDATE \"09-Sep-2001 01:46:41 +0000\")",
            "* 3 FETCH (FLAGS (\\Flagged \\Seen \\Recent) RFC822.SIZE 21 INTERNALDATE \"09-Sep-2001 01:46:42 +0000\")",
            "b OK Fetch completed.",
        ])
        #expect(try client.send("c UID FETCH 2:3 FLAGS") == [
            "* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))",
            "* 3 FETCH (UID 3 FLAGS (\\Flagged \\Seen \\Recent))",
            "c OK Fetch completed.",
        ])
        // A non-PEEK body fetch sets \Seen and reports FLAGS in the same response (§6.4.5).
        #expect(try client.send("d FETCH 1 BODY[TEXT]") == [
            "* 1 FETCH (BODY[TEXT] {7}", "first", " FLAGS (\\Seen \\Recent))", "d OK Fetch completed.",
        ])
        #expect(maildir.names("cur").contains { $0.hasPrefix("1000000000.M1P1Q1.host,S=18,W=21:2,S") })
        #expect(try client.send("e FETCH 1 BODY.PEEK[HEADER]") == ["* 1 FETCH (BODY[HEADER] {14}", "Subject: a", "", ")", "e OK Fetch completed."])
    }

    @Test func badSequenceNumbersAndNoSelection() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        #expect(try client.send("a FETCH 1 FLAGS") == ["a BAD No mailbox selected."])
        _ = try client.send("b SELECT INBOX")
        #expect(try client.send("c FETCH 4 FLAGS") == ["c BAD Error in IMAP command FETCH: Invalid messageset."])
        #expect(try client.send("d STORE 5 +FLAGS (\\Seen)") == ["d BAD Error in IMAP command STORE: Invalid messageset."])
        #expect(try client.send("e UID FETCH 99 FLAGS") == ["e OK Fetch completed."])
    }

    @Test func storeReportsAndSilentDoesNot() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        _ = try client.send("a SELECT INBOX")
        #expect(try client.send("b STORE 1 +FLAGS (\\Deleted)") == ["* 1 FETCH (FLAGS (\\Deleted \\Recent))", "b OK Store completed."])
        #expect(try client.send("c STORE 2 -FLAGS.SILENT (\\Seen)") == ["c OK Store completed."])
        #expect(try client.send("d UID STORE 3 FLAGS ($Label1 \\Answered)") == [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)] Flags permitted.",
            "* 3 FETCH (UID 3 FLAGS (\\Answered \\Recent $Label1))",
            "d OK Store completed.",
        ])
        #expect(maildir.read("dovecot-keywords") == "0 $Label1\n")
        #expect(maildir.names("cur").contains("1000000002.M1P1Q3.host,S=18,W=21:2,Ra"))
        #expect(try client.send("e EXPUNGE") == ["* 1 EXPUNGE", "* 2 RECENT", "e OK Expunge completed."])
        #expect(try client.send("f FETCH 1:* FLAGS") == [
            "* 1 FETCH (FLAGS (\\Recent))", "* 2 FETCH (FLAGS (\\Answered \\Recent $Label1))", "f OK Fetch completed.",
        ])
    }

    @Test func examineRefusesChanges() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        _ = try client.send("a EXAMINE INBOX")
        #expect(try client.send("b STORE 1 +FLAGS (\\Seen)") == ["b OK Store ignored with read-only mailbox."])
        let body = try client.send("c FETCH 1 BODY[]")
        #expect(body == ["* 1 FETCH (BODY[] {21}", "Subject: a", "", "first", ")", "c OK Fetch completed."])
        #expect(try client.send("d STORE 1 +FLAGS.SILENT (\\Deleted)") == ["d OK Store ignored with read-only mailbox."])
        #expect(try client.send("e EXPUNGE") == ["e OK Expunge completed."])
        #expect(try client.send("f MOVE 1 Trash") == ["f NO [READ-ONLY] Mailbox is read-only."])
        #expect(try client.send("g CLOSE") == ["g OK Close completed."])
        #expect(maildir.names("new") == ["1000000000.M1P1Q1.host,S=18,W=21"])
    }

    @Test func searchCopyMoveAndStatus() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        _ = try client.send("a SELECT INBOX")
        #expect(try client.send("b SEARCH SEEN") == ["* SEARCH 2 3", "b OK Search completed."])
        #expect(try client.send("c UID SEARCH UNSEEN") == ["* SEARCH 1", "c OK Search completed."])
        #expect(try client.send("d SEARCH CHARSET KOI8-R ALL") == ["d NO [BADCHARSET (US-ASCII UTF-8)] Unsupported search charset."])
        #expect(try client.send("e SEARCH BODY second") == ["* SEARCH 2", "e OK Search completed."])
        #expect(try client.send("f COPY 1:2 Nowhere") == ["f NO [TRYCREATE] Mailbox doesn't exist: Nowhere"])

        let trash = try client.send("g STATUS Trash (MESSAGES UIDNEXT UIDVALIDITY)")
        let validity = trash[0].split(separator: " ").last!.dropLast()
        #expect(try client.send("h COPY 2:3 Trash") == ["h OK [COPYUID \(validity) 2:3 1:2] Copy completed."])
        #expect(try client.send("i MOVE 1 Trash") == [
            "* OK [COPYUID \(validity) 1 3] Moved UIDs.", "* 1 EXPUNGE", "* 2 RECENT", "i OK Move completed.",
        ])
        #expect(try client.send("j STATUS Trash (MESSAGES RECENT UIDNEXT UNSEEN)") == [
            "* STATUS Trash (MESSAGES 3 RECENT 3 UIDNEXT 4 UNSEEN 1)", "j OK Status completed.",
        ])
        // Copies are hard links that keep flags and the internal date.
        #expect(maildir.names(".Trash/cur").count == 2)
        #expect(maildir.names(".Trash/new").count == 1)
        #expect(try client.send("k STATUS Nowhere (MESSAGES)") == ["k NO Mailbox doesn't exist: Nowhere"])
    }

    @Test func closeExpungesSilentlyAndUnselectDoesNot() throws {
        let (_, session) = try openStore(maildir)
        let client = TestClient(session)
        _ = try client.send("a SELECT INBOX")
        _ = try client.send("b STORE 1:2 +FLAGS.SILENT (\\Deleted)")
        #expect(try client.send("c UNSELECT") == ["c OK Unselect completed."])
        #expect(session.selection == nil)
        _ = try client.send("d SELECT INBOX")
        #expect(try client.send("e UID EXPUNGE 2") == ["* 2 EXPUNGE", "e OK Expunge completed."])
        #expect(try client.send("f CLOSE") == ["f OK Close completed."])
        #expect(maildir.names("new").isEmpty)
        #expect(maildir.names("cur") == ["1000000002.M1P1Q3.host,S=18,W=21:2,FS"])
        #expect(try client.send("g NOOP") == ["g OK NOOP completed."])
    }
}
