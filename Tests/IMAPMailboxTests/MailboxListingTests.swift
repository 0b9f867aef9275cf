import Foundation
import IMAPProtocol
import Testing
@testable import IMAPMailbox
@testable import IMAPStore

@Suite("LIST/LSUB patterns")
struct ListPatternTests {
    func matches(_ pattern: String, _ name: String, reference: String = "", inbox: Bool = false) -> Bool {
        ListPattern(reference: Array(reference.utf8), pattern: Array(pattern.utf8)).matches(Array(name.utf8), inbox: inbox)
    }

    @Test func wildcards() {
        #expect(matches("*", "A.B.C"))
        #expect(matches("%", "A"))
        #expect(!matches("%", "A.B"))
        #expect(matches("%.%", "A.B"))
        #expect(!matches("%.%", "A.B.C"))
        #expect(matches("A*", "Archive"))
        #expect(matches("A.*", "A.B.C"))
        #expect(!matches("A.*", "A"))
        #expect(matches("*B*", "A.B.C"))
        #expect(matches("%*", "A.B"))
        #expect(matches("*%", "A.B"))
        #expect(matches("A%%C", "AxC"))
        #expect(!matches("A%C", "A.C"))
        #expect(!matches("A", "a"))
        #expect(matches("", ""))
    }

    @Test func referenceIsPutInFront() {
        #expect(matches("%", "Archive", reference: "A"))
        #expect(matches("%", "A.B", reference: "A."))
        #expect(!matches(".B", "A.B", reference: "A."))
    }

    @Test func inboxIsCaseInsensitive() {
        #expect(matches("inbox", "INBOX", inbox: true))
        #expect(matches("InBox*", "INBOX", inbox: true))
        #expect(matches("i%", "INBOX", inbox: true))
        #expect(!matches("inbox", "INBOX"))
    }

    @Test func boundedPatternsMatchNothing() {
        #expect(!matches(String(repeating: "%a", count: 33), String(repeating: "a", count: 66)))
        #expect(!matches(String(repeating: "a", count: ListPattern.maximumLength + 1), "a"))
        // Many wildcards below the limit still finish quickly.
        #expect(!matches(String(repeating: "*a", count: 32) + "b", String(repeating: "a", count: 4000)))
        #expect(matches(String(repeating: "*a", count: 32), String(repeating: "a", count: 4000)))
    }
}

@Suite("MailboxListing")
struct MailboxListingTests {
    let maildir: ListingMaildir

    init() throws {
        maildir = try ListingMaildir()
        try maildir.makeFolders(["Sent", "Drafts", "Trash", "A.B", "A.B.C", "X", "Entw&APw-rfe"])
        try maildir.subscribe(["Sent", "A.B", "Ghost", "Z.Y"])
    }

    func list(_ line: String) throws -> [String] { try listing(line, root: maildir.path) }

    @Test func basicListAll() throws {
        #expect(try list(#"LIST "" "*""#) == [
            #"* LIST (\HasNoChildren) "." INBOX"#,
            #"* LIST (\Noselect \HasChildren) "." A"#,
            #"* LIST (\HasChildren) "." A.B"#,
            #"* LIST (\HasNoChildren) "." A.B.C"#,
            #"* LIST (\HasNoChildren \Drafts) "." Drafts"#,
            #"* LIST (\HasNoChildren) "." Entw&APw-rfe"#,
            #"* LIST (\HasNoChildren \Sent) "." Sent"#,
            #"* LIST (\HasNoChildren \Trash) "." Trash"#,
            #"* LIST (\HasNoChildren) "." X"#,
        ])
    }

    @Test(arguments: [
        (#"LIST "" """#, [#"* LIST (\Noselect) "." """#]),
        (#"LIST "foo" """#, [#"* LIST (\Noselect) "." """#]),
        (#"LIST "A.B" """#, [#"* LIST (\Noselect) "." A."#]),
        (#"LIST "" "%.%""#, [#"* LIST (\HasChildren) "." A.B"#]),
        (#"LIST "A." "%""#, [#"* LIST (\HasChildren) "." A.B"#]),
        (#"LIST "" "inbox""#, [#"* LIST (\HasNoChildren) "." INBOX"#]),
        (#"LIST "" "A""#, [#"* LIST (\Noselect \HasChildren) "." A"#]),
        (#"LIST "" "Nothing*""#, []),
        (#"LIST "" "*" RETURN ()"#.replacingOccurrences(of: "*", with: "%"),
         [#"* LIST () "." INBOX"#, #"* LIST (\NonExistent) "." A"#, #"* LIST () "." Drafts"#, #"* LIST () "." Entw&APw-rfe"#,
          #"* LIST () "." Sent"#, #"* LIST () "." Trash"#, #"* LIST () "." X"#]),
        (#"LIST (SPECIAL-USE) "" "*""#, [#"* LIST (\Drafts) "." Drafts"#, #"* LIST (\Sent) "." Sent"#, #"* LIST (\Trash) "." Trash"#]),
        (#"LIST (SUBSCRIBED) "" "*""#, [#"* LIST (\Subscribed) "." A.B"#, #"* LIST (\Subscribed \NonExistent) "." Ghost"#,
                                         #"* LIST (\Subscribed) "." Sent"#, #"* LIST (\Subscribed \NonExistent) "." Z.Y"#]),
        (#"LIST (SUBSCRIBED RECURSIVEMATCH) "" "%""#,
         [#"* LIST (\NonExistent) "." A ("CHILDINFO" ("SUBSCRIBED"))"#, #"* LIST (\Subscribed \NonExistent) "." Ghost"#,
          #"* LIST (\Subscribed) "." Sent"#, #"* LIST (\NonExistent) "." Z ("CHILDINFO" ("SUBSCRIBED"))"#]),
        (#"LIST (SUBSCRIBED RECURSIVEMATCH) "" "*""#,
         [#"* LIST (\Subscribed) "." A.B"#, #"* LIST (\Subscribed \NonExistent) "." Ghost"#,
          #"* LIST (\Subscribed) "." Sent"#, #"* LIST (\Subscribed \NonExistent) "." Z.Y"#]),
        (#"LIST "" ("Sent" "X")"#, [#"* LIST () "." Sent"#, #"* LIST () "." X"#]),
        (#"LIST "" "S*" RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)"#, [#"* LIST (\Subscribed \HasNoChildren \Sent) "." Sent"#]),
        (#"LIST "" "%" RETURN (STATUS (MESSAGES UIDNEXT))"#.replacingOccurrences(of: "%", with: "A*"),
         [#"* LIST (\NonExistent) "." A"#, #"* LIST () "." A.B"#, #"* STATUS A.B (MESSAGES 0 UIDNEXT 1)"#,
          #"* LIST () "." A.B.C"#, #"* STATUS A.B.C (MESSAGES 0 UIDNEXT 1)"#]),
        (#"LSUB "" "*""#, [#"* LSUB () "." A.B"#, #"* LSUB () "." Ghost"#, #"* LSUB (\Sent) "." Sent"#, #"* LSUB () "." Z.Y"#]),
        (#"LSUB "" "%""#, [#"* LSUB (\Noselect) "." A"#, #"* LSUB () "." Ghost"#, #"* LSUB (\Sent) "." Sent"#,
                           #"* LSUB (\Noselect) "." Z"#]),
        (#"LSUB "" "A.%""#, [#"* LSUB () "." A.B"#]),
        (#"LSUB "" """#, []),
    ])
    func answers(command: String, expected: [String]) throws {
        #expect(try list(command) == expected)
    }

    /// The parser refuses these already; the listing does not rely on it.
    @Test func refusals() throws {
        let listing = MailboxListing(root: maildir.path)
        for options: [IMAPListCommand.SelectionOption] in [[.recursiveMatch], [.remote, .recursiveMatch], [.other("X")]] {
            let command = IMAPListCommand(selectionOptions: options, reference: IMAPMailboxName(""), patterns: [Array("*".utf8)])
            #expect(throws: MailboxListing.Refusal.self) { try listing.list(command) { _, _ in nil } }
        }
        let command = IMAPListCommand(reference: IMAPMailboxName(""), patterns: [Array("*".utf8)], returnOptions: [.other("X")])
        #expect(throws: MailboxListing.Refusal.self) { try listing.list(command) { _, _ in nil } }
    }

    @Test func statusLeavesOutWhatTheCallbackDrops() throws {
        let command = IMAPListCommand(reference: IMAPMailboxName(""), patterns: [Array("%".utf8)],
                                      returnOptions: [.status([.messages])])
        let responses = try MailboxListing(root: maildir.path).list(command) { name, _ in
            name.levels == ["X"] ? nil : [IMAPStatusValue(.messages, 7)]
        }
        let lines = wireLines(responses)
        #expect(lines.contains(#"* STATUS Sent (MESSAGES 7)"#))
        #expect(!lines.contains { $0.hasPrefix("* STATUS X ") })
        #expect(lines.contains(#"* LIST () "." X"#))
    }
}

/// The same commands to Dovecot 2.3 and to MailboxListing, on the same Maildir: the untagged
/// answers must agree (normalised: order, \Marked/\UnMarked; see `normalisedGroups`).
@Suite(.enabled(if: ListingDovecotPeer.available, "Dovecot is not installed (apt-get install dovecot-imapd)"))
struct MailboxListingDovecotTests {
    static let commands = [
        #"LIST "" "*""#, #"LIST "" "%""#, #"LIST "" """#, #"LIST "foo" """#, #"LIST "A.B" """#,
        #"LIST "A" "%""#, #"LIST "A." "%""#, #"LIST "" "%.%""#, #"LIST "" "inbox""#, #"LIST "" "InBox*""#,
        #"LIST "" "*B*""#, #"LIST "" "A""#, #"LIST "" "A.B.%""#, #"LIST "" "Entw&APw-rfe""#, #"LIST "" "Entw*""#,
        #"LIST "" "*" RETURN ()"#, #"LIST "" "*" RETURN (CHILDREN)"#, #"LIST "" "*" RETURN (SUBSCRIBED)"#,
        #"LIST "" "*" RETURN (SUBSCRIBED CHILDREN)"#, #"LIST "" "*" RETURN (SPECIAL-USE)"#,
        #"LIST (SPECIAL-USE) "" "*""#, #"LIST (SPECIAL-USE) "" "*" RETURN (CHILDREN)"#,
        #"LIST (SUBSCRIBED) "" "*""#, #"LIST (SUBSCRIBED) "" "%""#, #"LIST (SUBSCRIBED) "" "%" RETURN (CHILDREN)"#,
        #"LIST (SUBSCRIBED RECURSIVEMATCH) "" "%""#, #"LIST (SUBSCRIBED RECURSIVEMATCH) "" "*""#,
        #"LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)"#, #"LIST (SPECIAL-USE SUBSCRIBED) "" "*""#,
        #"LIST (REMOTE) "" "%""#, #"LIST "" ("Sent" "X" "A.*")"#,
        #"LIST "" "%" RETURN (STATUS (MESSAGES UIDNEXT))"#, #"LIST "" "A*" RETURN (CHILDREN STATUS (MESSAGES))"#,
        #"LSUB "" "*""#, #"LSUB "" "%""#, #"LSUB "" "A.%""#, #"LSUB "" "Z*""#, #"LSUB "" "inbox""#, #"LSUB "" """#, #"LSUB "A" "%""#,
    ]

    @Test func listingAgreesWithDovecot() throws {
        let maildir = try ListingMaildir()
        try maildir.makeFolders(["Sent", "Drafts", "Trash", "Junk", "Archive", "A.B", "A.B.C", "X", "Entw&APw-rfe", "My Folder", "P.Q.R"])
        try maildir.subscribe(["Sent", "A.B", "Ghost", "Z.Y", "X", "INBOX", "P", "P.Q.R", "My Folder"])
        let dovecot = try ListingDovecotPeer(maildir: maildir.path)
        defer { dovecot.removeScratch() }
        for command in Self.commands {
            let theirs = normalisedGroups(try dovecot.imap("t " + command).components(separatedBy: "\r\n"))
            let ours = normalisedGroups(try listing(command, root: maildir.path))
            #expect(ours == theirs, "\(command)")
        }
    }
}
