import AccountDirectory
import Foundation
import Testing

/// Who may send as what after logging in (issue 9; RFC 6409 §6.1 lets a submission server
/// refuse senders the user is not entitled to): send-as grants, and `mayUseSender`.
@Suite struct AccountDirectorySendAsTests {
    static let alice = MailboxAddress(localPart: "alice", domain: "example.org")
    static let bob = MailboxAddress(localPart: "bob", domain: "example.org")

    /// example.org with alice, bob and "alice+vip" (a user whose name has the delimiter in it).
    static func example() throws -> (TemporaryDirectoryFile, SQLiteAccountDirectory) {
        let file = try TemporaryDirectoryFile("SendAsTests")
        let directory = try file.open()
        try directory.addDomain("example.org")
        for user in ["alice", "bob", "alice+vip"] {
            _ = try directory.addUser("\(user)@example.org", password: "correct horse")
        }
        return (file, directory)
    }

    // MARK: - Grants

    @Test func grantsAreAddedListedAndRemoved() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        try directory.addSendAs(account: "Alice@Example.org", address: "CEO@Other.Example")
        try directory.addSendAs(account: "alice@example.org", address: "@Partner.Example")
        try directory.addSendAs(account: "bob@example.org", address: "Sales@Example.ORG")
        // Canonical like alias targets: a remote local part as written, local addresses and
        // domains lowercased.
        #expect(try directory.listSendAs(account: "alice@example.org") == [
            SendAsGrant(account: Self.alice, address: "@partner.example"),
            SendAsGrant(account: Self.alice, address: "CEO@other.example"),
        ])
        #expect(try directory.listSendAs(account: nil).count == 3)
        #expect(try directory.listSendAs(account: "bob@example.org")
                == [SendAsGrant(account: Self.bob, address: "sales@example.org")])
        try directory.removeSendAs(account: "alice@example.org", address: "ceo@OTHER.example")
        #expect(try directory.listSendAs(account: "alice@example.org")
                == [SendAsGrant(account: Self.alice, address: "@partner.example")])
    }

    @Test func aGrantTwiceIsRefusedWhateverItsCase() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        try directory.addSendAs(account: "alice@example.org", address: "ceo@other.example")
        #expect(throws: DirectoryError.sendAsExists("alice@example.org", "CEO@other.example")) {
            try directory.addSendAs(account: "alice@example.org", address: "CEO@other.example")
        }
        #expect(throws: DirectoryError.self) {
            try directory.addSendAs(account: "alice@example.org", address: "ceo@other.example")
        }
        // The same address for another account is another grant.
        try directory.addSendAs(account: "bob@example.org", address: "ceo@other.example")
    }

    @Test func grantsNeedAUserAndAnAddress() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        try directory.addAlias("info@example.org", targets: ["alice@example.org"])
        #expect(throws: DirectoryError.noSuchUser("nobody@example.org")) {
            try directory.addSendAs(account: "nobody@example.org", address: "x@other.example")
        }
        #expect(throws: DirectoryError.noSuchUser("info@example.org")) {
            try directory.addSendAs(account: "info@example.org", address: "x@other.example")
        }
        for bad in ["", "nobody", "@", "a b@other.example", "x@", "x@-bad.example", "x@other.example\n",
                    "a/b@example.org", "\"quoted\"@other.example", String(repeating: "a", count: 65) + "@other.example"] {
            #expect(throws: DirectoryError.invalidAddress(bad), "\(bad)") {
                try directory.addSendAs(account: "alice@example.org", address: bad)
            }
        }
        #expect(try directory.listSendAs(account: nil).isEmpty)
    }

    @Test func removingAnAbsentGrantIsAnError() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        #expect(throws: DirectoryError.noSuchSendAs("alice@example.org", "x@other.example")) {
            try directory.removeSendAs(account: "alice@example.org", address: "x@other.example")
        }
        #expect(throws: DirectoryError.noSuchUser("nobody@example.org")) {
            try directory.removeSendAs(account: "nobody@example.org", address: "x@other.example")
        }
        #expect(throws: DirectoryError.noSuchUser("nobody@example.org")) {
            try directory.listSendAs(account: "nobody@example.org")
        }
    }

    @Test func removingAUserRemovesItsGrants() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        try directory.addSendAs(account: "alice@example.org", address: "ceo@other.example")
        try directory.addSendAs(account: "bob@example.org", address: "@other.example")
        try directory.removeUser("alice@example.org")
        _ = try directory.addUser("alice@example.org", password: "another password")
        #expect(try directory.listSendAs(account: "alice@example.org").isEmpty)
        #expect(try !directory.mayUseSender(account: Self.alice, address: "ceo@other.example", recipientDelimiter: "+"))
        #expect(try directory.listSendAs(account: nil) == [SendAsGrant(account: Self.bob, address: "@other.example")])
    }

    // MARK: - mayUseSender

    @Test(arguments: [
        // (address alice uses, recipient delimiter, allowed)
        ("alice@example.org", "+", true),                // own
        ("Alice@EXAMPLE.org", "+", true),                // own, any case
        ("alice+news@example.org", "+", true),           // plus-address
        ("alice+news@example.org", nil, false),          // no delimiter configured: not hers
        ("info@example.org", "+", true),                 // alias to her
        ("info+x@example.org", "+", true),               // the alias's plus-address
        ("team@example.org", "+", true),                 // alias to an alias to her (and others)
        ("ceo@other.example", "+", true),                // grant: the address
        ("CEO@Other.Example", "+", true),                // grant, any case
        ("anyone@partner.example", "+", true),           // grant: @domain
        ("bob@example.org", "+", false),                 // another user
        ("bob+alice@example.org", "+", false),           // another user's plus-address
        ("alice+vip@example.org", "+", false),           // another user, though it looks like hers
        ("bobs@example.org", "+", false),                // an alias to someone else
        ("nobody@example.org", "+", false),              // only the catch-all delivers it to her
        ("cfo@other.example", "+", false),               // another address of a granted address's domain
        ("alice@other.example", "+", false),             // her name at another domain
        ("alice@partner.example.com", "+", false),       // not the granted domain
        ("", "+", false),                                // malformed from here on
        ("alice", "+", false),
        ("alice@", "+", false),
        ("@example.org", "+", false),
        ("@partner.example", "+", false),
        ("<alice@example.org>", "+", false),
        ("alice@example.org\r\n", "+", false),
        ("a b@partner.example", "+", false),
    ] as [(String, String?, Bool)])
    func mayUseSender(address: String, delimiter: String?, allowed: Bool) throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        try directory.addAlias("info@example.org", targets: ["alice@example.org"])
        try directory.addAlias("team@example.org", targets: ["info@example.org", "bob@example.org", "far@remote.example"])
        try directory.addAlias("bobs@example.org", targets: ["bob@example.org"])
        // A catch-all to alice does not let her send as every address of example.org: that is
        // what a grant "@example.org" would be for.
        try directory.addAlias("@example.org", targets: ["alice@example.org"])
        try directory.addSendAs(account: "alice@example.org", address: "ceo@other.example")
        try directory.addSendAs(account: "alice@example.org", address: "@partner.example")
        #expect(try directory.mayUseSender(account: Self.alice, address: address, recipientDelimiter: delimiter) == allowed)
    }

    @Test func aGrantForTheWholeDomainCoversItsUsersToo() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        #expect(try !directory.mayUseSender(account: Self.bob, address: "alice@example.org", recipientDelimiter: "+"))
        try directory.addSendAs(account: "bob@example.org", address: "@example.org")
        #expect(try directory.mayUseSender(account: Self.bob, address: "alice@example.org", recipientDelimiter: "+"))
    }

    @Test func anAccountRemovedSinceLoggingInOwnsNothing() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        try directory.removeUser("bob@example.org")
        #expect(try !directory.mayUseSender(account: Self.bob, address: "bob@example.org", recipientDelimiter: "+"))
    }
}
