import AccountDirectory
import Foundation
import GRDB
import Testing

/// Each test gets its own temporary folder and database file.
@Suite struct AccountDirectoryTests {
    // MARK: - Helpers

    /// A directory in its own temporary folder, removed when the fixture goes away.
    private final class Fixture {
        let folder: URL
        let path: String
        let directory: SQLiteAccountDirectory

        init() throws {
            folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("AccountDirectoryTests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            path = folder.appendingPathComponent("directory.sqlite").path
            directory = try SQLiteAccountDirectory(path: path)
        }

        /// Adds example.org and the user alice@example.org.
        static func example() throws -> Fixture {
            let fixture = try Fixture()
            try fixture.directory.addDomain("example.org")
            _ = try fixture.directory.addUser("alice@example.org", password: "correct horse")
            return fixture
        }

        deinit { try? FileManager.default.removeItem(at: folder) }
    }

    private func mailbox(_ address: String) -> MailboxAddress {
        MailboxAddress(parsing: address)!
    }

    private func deliver(_ mailboxes: [String], remote: [String] = []) -> RecipientLookup {
        .deliver(RecipientExpansion(mailboxes: mailboxes.map(mailbox), remoteAddresses: remote))
    }

    private let password = "correct horse"

    // MARK: - Addresses

    @Test func parsesAndLowercasesAddresses() {
        let address = MailboxAddress(parsing: "Alice.Smith@Example.ORG")
        #expect(address == MailboxAddress(localPart: "alice.smith", domain: "example.org"))
        #expect(address?.description == "alice.smith@example.org")
        // Splits at the last "@".
        #expect(MailboxAddress(parsing: "a@b@example.org") == nil)
        #expect(MailboxAddress(parsing: "ユーザー@例え.jp")?.localPart == "ユーザー")
        for bad in ["", "alice", "@example.org", "alice@", "../x@example.org", "a/b@example.org", ".a@example.org",
                    "a.@example.org", "a..b@example.org", "a b@example.org", "a\u{0}b@example.org",
                    "alice@example..org", "alice@.example.org", "alice@example.org.", "alice@exa_mple.org",
                    "alice@-example.org", "\"a\"@example.org", "a\u{85}b@example.org"] {
            #expect(MailboxAddress(parsing: bad) == nil, "\(bad)")
        }
        #expect(MailboxAddress(parsing: "x@" + String(repeating: "a.", count: 127) + "ab") == nil)
        #expect(MailboxAddress(parsing: String(repeating: "a", count: 65) + "@example.org") == nil)
        #expect(MailboxAddress(parsing: "o'brien+{tag}~=?^@example.org") != nil)
    }

    // MARK: - Domains

    @Test func addsListsAndRemovesDomains() throws {
        let fixture = try Fixture()
        let directory = fixture.directory
        try directory.addDomain("Example.ORG")
        try directory.addDomain("example.net")
        #expect(try directory.listDomains() == ["example.net", "example.org"])
        #expect(try directory.isLocalDomain("EXAMPLE.org"))
        #expect(try !directory.isLocalDomain("example.com"))
        #expect(throws: DirectoryError.domainExists("example.org")) { try directory.addDomain("example.org") }
        #expect(throws: DirectoryError.invalidAddress("bad..domain")) { try directory.addDomain("bad..domain") }
        #expect(throws: DirectoryError.invalidAddress("a/b")) { try directory.addDomain("a/b") }

        try directory.removeDomain("example.net")
        #expect(try directory.listDomains() == ["example.org"])
        #expect(throws: DirectoryError.noSuchDomain("example.net")) { try directory.removeDomain("example.net") }
    }

    @Test func refusesToRemoveNonEmptyDomain() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        #expect(throws: DirectoryError.domainNotEmpty("example.org")) { try directory.removeDomain("example.org") }
        try directory.addAlias("info@example.org", targets: ["alice@example.org"])
        try directory.removeUser("alice@example.org")
        // The alias alone still keeps the domain.
        #expect(throws: DirectoryError.domainNotEmpty("example.org")) { try directory.removeDomain("example.org") }
        try directory.removeAlias("info@example.org")
        try directory.removeDomain("example.org")
        #expect(try directory.listDomains().isEmpty)
    }

    // MARK: - Users

    @Test func addsListsAndRemovesUsers() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        try directory.addDomain("example.net")
        let bob = try directory.addUser("Bob@Example.NET", password: password)
        #expect(bob == MailboxAddress(localPart: "bob", domain: "example.net"))

        let all = try directory.listUsers(domain: nil)
        #expect(all.map(\.address.description) == ["bob@example.net", "alice@example.org"])
        #expect(all.allSatisfy { abs($0.createdAt.timeIntervalSinceNow) < 300 })
        #expect(try directory.listUsers(domain: "EXAMPLE.ORG").map(\.address) == [mailbox("alice@example.org")])
        #expect(throws: DirectoryError.noSuchDomain("example.com")) { try directory.listUsers(domain: "example.com") }

        try directory.removeUser("BOB@example.net")
        #expect(try directory.listUsers(domain: "example.net").isEmpty)
        #expect(throws: DirectoryError.noSuchUser("bob@example.net")) { try directory.removeUser("bob@example.net") }
    }

    @Test func refusesDuplicateUnknownDomainAndInvalidUsers() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        #expect(throws: DirectoryError.userExists("alice@example.org")) {
            try directory.addUser("ALICE@example.org", password: password)
        }
        #expect(throws: DirectoryError.unknownDomain("example.com")) {
            try directory.addUser("bob@example.com", password: password)
        }
        for bad in ["../x@example.org", "a/b@example.org", ".a@example.org", "a.@example.org",
                    "a..b@example.org", "@example.org", "bob", "bob@", "a\nb@example.org"] {
            #expect(throws: DirectoryError.invalidAddress(bad)) { try directory.addUser(bad, password: password) }
        }
        #expect(try directory.listUsers(domain: nil).count == 1)
    }

    @Test func refusesWeakPasswords() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        for weak in ["", "short", "1234567"] {
            #expect(throws: DirectoryError.self) { try directory.addUser("bob@example.org", password: weak) }
            #expect(throws: DirectoryError.self) { try directory.setPassword("alice@example.org", password: weak) }
        }
        #expect(throws: DirectoryError.weakPassword("passwords must be at least 8 characters long")) {
            try PasswordHash.make("1234567")
        }
        #expect(try directory.listUsers(domain: nil).count == 1)
    }

    @Test func verifiesPasswords() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        #expect(try directory.verifyPassword(address: "alice@example.org", password: password) == mailbox("alice@example.org"))
        #expect(try directory.verifyPassword(address: "Alice@EXAMPLE.org", password: password) == mailbox("alice@example.org"))
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "wrong horse") == nil)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "") == nil)
        #expect(try directory.verifyPassword(address: "nobody@example.org", password: password) == nil)
        #expect(try directory.verifyPassword(address: "not an address", password: password) == nil)

        try directory.setPassword("alice@example.org", password: "battery staple")
        #expect(try directory.verifyPassword(address: "alice@example.org", password: password) == nil)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "battery staple") != nil)
        #expect(throws: DirectoryError.noSuchUser("bob@example.org")) {
            try directory.setPassword("bob@example.org", password: password)
        }
    }

    @Test func createsDatabaseReadableOnlyByOwner() throws {
        let fixture = try Fixture()
        let path = fixture.path
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test func reopensExistingDatabase() throws {
        let fixture = try Fixture.example()
        let reopened = try SQLiteAccountDirectory(path: fixture.path)
        #expect(try reopened.listUsers(domain: nil).map(\.address) == [mailbox("alice@example.org")])
    }

    // MARK: - Password hashes

    @Test func hashesAreSaltedYescrypt() throws {
        let first = try PasswordHash.make("secret123")
        let second = try PasswordHash.make("secret123")
        #expect(first.hasPrefix("{CRYPT}$y$"))
        #expect(second.hasPrefix("{CRYPT}$y$"))
        #expect(first != second)
        #expect(PasswordHash.verify("secret123", against: first))
        #expect(PasswordHash.verify("secret123", against: second))
        #expect(!PasswordHash.verify("secret124", against: first))
        #expect(throws: DirectoryError.self) { try PasswordHash.make("") }
    }

    @Test func verifiesSHA512CryptFromOpenSSL() {
        // openssl passwd -6 -salt abcdefgh secret123
        let hash = "$6$abcdefgh$L2RkWuRRaXbSPKE2h075RMaIsfsrCKiKdR4CAmWFZdxb7FD5ntuy3JlinIGZEpWPL2s7jolhp7uEtLBxC/4Xq1"
        #expect(PasswordHash.verify("secret123", against: "{SHA512-CRYPT}" + hash))
        #expect(PasswordHash.verify("secret123", against: "{CRYPT}" + hash))
        #expect(!PasswordHash.verify("secret1234", against: "{SHA512-CRYPT}" + hash))
        // Unknown or missing schemes are refused, never compared as plain text.
        #expect(!PasswordHash.verify("secret123", against: hash))
        #expect(!PasswordHash.verify("secret123", against: "{PLAIN}secret123"))
        #expect(!PasswordHash.verify("secret123", against: "{CRYPT}"))
        #expect(!PasswordHash.verify("secret123", against: "{CRYPT}*0"))
    }

    // MARK: - Aliases

    @Test func aliasToLocalUserAndRemoteAddress() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        try directory.addAlias("Info@example.org", targets: ["ALICE@example.org", "Bob@Elsewhere.COM", "alice@example.org"])
        #expect(try directory.listAliases(domain: nil) ==
                [AliasRecord(alias: "info@example.org", targets: ["alice@example.org", "Bob@elsewhere.com"])])
        #expect(try directory.lookupRecipient(localPart: "info", domain: "example.org", recipientDelimiter: nil)
                == deliver(["alice@example.org"], remote: ["Bob@elsewhere.com"]))

        #expect(throws: DirectoryError.aliasExists("info@example.org")) {
            try directory.addAlias("info@example.org", targets: ["alice@example.org"])
        }
        #expect(throws: DirectoryError.userExists("alice@example.org")) {
            try directory.addAlias("alice@example.org", targets: ["bob@elsewhere.com"])
        }
        #expect(throws: DirectoryError.aliasExists("info@example.org")) {
            try directory.addUser("info@example.org", password: password)
        }
        #expect(throws: DirectoryError.unknownDomain("example.com")) {
            try directory.addAlias("info@example.com", targets: ["alice@example.org"])
        }
        #expect(throws: DirectoryError.noSuchUser("nobody@example.org")) {
            try directory.addAlias("sales@example.org", targets: ["nobody@example.org"])
        }
        #expect(throws: DirectoryError.invalidAddress("not-an-address")) {
            try directory.addAlias("sales@example.org", targets: ["not-an-address"])
        }
        #expect(throws: DirectoryError.self) { try directory.addAlias("sales@example.org", targets: []) }

        try directory.removeAlias("INFO@example.org")
        #expect(try directory.listAliases(domain: "example.org").isEmpty)
        #expect(throws: DirectoryError.noSuchAlias("info@example.org")) { try directory.removeAlias("info@example.org") }
    }

    @Test func aliasToAlias() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        _ = try directory.addUser("bob@example.org", password: password)
        try directory.addAlias("team@example.org", targets: ["alice@example.org", "bob@example.org"])
        try directory.addAlias("all@example.org", targets: ["team@example.org", "carol@remote.test", "bob@example.org"])
        #expect(try directory.lookupRecipient(localPart: "all", domain: "example.org", recipientDelimiter: "+")
                == deliver(["alice@example.org", "bob@example.org"], remote: ["carol@remote.test"]))
    }

    @Test func refusesAliasLoops() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        try directory.addAlias("a@example.org", targets: ["b@example.net"])  // remote for now
        try directory.addDomain("example.net")
        #expect(throws: DirectoryError.aliasLoop("b@example.net")) {
            try directory.addAlias("b@example.net", targets: ["a@example.org"])
        }
    }

    @Test func cyclicAliasesDoNotHang() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        let path = fixture.path
        try directory.addAlias("a@example.org", targets: ["alice@example.org"])
        try directory.addAlias("b@example.org", targets: ["a@example.org"])
        // The API refuses cycles, but a database edited by hand can hold
        // one: a -> b -> a, plus a -> alice.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "UPDATE aliases SET targets = ? WHERE local_part = 'a'",
                           arguments: ["b@example.org\nalice@example.org"])
            try db.execute(sql: "INSERT INTO aliases (local_part, domain, targets, created_at) VALUES ('self', 'example.org', 'self@example.org', '2024-01-01 00:00:00')")
        }
        try queue.close()

        #expect(try directory.lookupRecipient(localPart: "a", domain: "example.org", recipientDelimiter: nil)
                == deliver(["alice@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "b", domain: "example.org", recipientDelimiter: nil)
                == deliver(["alice@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "self", domain: "example.org", recipientDelimiter: nil)
                == .unknownUser)
    }

    @Test func aliasChainsStopAtDepthTen() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        // chain12 -> chain11 -> ... -> chain1 -> alice
        try directory.addAlias("chain1@example.org", targets: ["alice@example.org"])
        for level in 2...12 {
            try directory.addAlias("chain\(level)@example.org", targets: ["chain\(level - 1)@example.org"])
        }
        #expect(try directory.lookupRecipient(localPart: "chain10", domain: "example.org", recipientDelimiter: nil)
                == deliver(["alice@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "chain11", domain: "example.org", recipientDelimiter: nil)
                == .unknownUser)
    }

    @Test func aliasWithNoRemainingTargetsIsUnknown() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        _ = try directory.addUser("bob@example.org", password: password)
        try directory.addAlias("old@example.org", targets: ["bob@example.org"])
        try directory.removeUser("bob@example.org")
        #expect(try directory.lookupRecipient(localPart: "old", domain: "example.org", recipientDelimiter: nil)
                == .unknownUser)
    }

    // MARK: - Catch-all aliases

    @Test func aCatchAllTakesUnknownAddressesOfItsDomainOnly() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        _ = try directory.addUser("bob@example.org", password: password)
        try directory.addAlias("info@example.org", targets: ["bob@example.org"])
        #expect(try directory.lookupRecipient(localPart: "nobody", domain: "example.org", recipientDelimiter: "+")
                == .unknownUser)

        try directory.addAlias("@Example.ORG", targets: ["alice@example.org"])
        #expect(try directory.lookupRecipient(localPart: "nobody", domain: "example.org", recipientDelimiter: "+")
                == deliver(["alice@example.org"]))
        // Even a local part no mailbox could have: it only selects the alias.
        #expect(try directory.lookupRecipient(localPart: "a b/../c", domain: "example.org", recipientDelimiter: "+")
                == deliver(["alice@example.org"]))
        // An exact user or alias wins, and a user's plus-address reaches the user.
        #expect(try directory.lookupRecipient(localPart: "bob", domain: "example.org", recipientDelimiter: "+")
                == deliver(["bob@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "info", domain: "example.org", recipientDelimiter: "+")
                == deliver(["bob@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "bob+tag", domain: "example.org", recipientDelimiter: "+")
                == deliver(["bob@example.org"]))
        // No plus-addressing: the tagged address is unknown, so the catch-all takes it.
        #expect(try directory.lookupRecipient(localPart: "bob+tag", domain: "example.org", recipientDelimiter: nil)
                == deliver(["alice@example.org"]))

        try directory.addDomain("other.example")
        #expect(try directory.lookupRecipient(localPart: "nobody", domain: "other.example", recipientDelimiter: "+")
                == .unknownUser)
    }

    @Test func catchAllsAreListedRemovedAndCheckedLikeAliases() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        try directory.addAlias("@example.org", targets: ["alice@example.org", "archive@remote.example"])
        #expect(try directory.listAliases(domain: nil)
                == [AliasRecord(alias: "@example.org", targets: ["alice@example.org", "archive@remote.example"])])
        #expect(throws: DirectoryError.aliasExists("@example.org")) {
            try directory.addAlias("@example.org", targets: ["alice@example.org"])
        }
        #expect(throws: DirectoryError.domainNotEmpty("example.org")) { try directory.removeDomain("example.org") }
        // Nobody logs in as a catch-all.
        #expect(try directory.verifyPassword(address: "@example.org", password: password) == nil)

        try directory.removeAlias("@EXAMPLE.org")
        #expect(try directory.listAliases(domain: nil).isEmpty)
        #expect(throws: DirectoryError.noSuchAlias("@example.org")) { try directory.removeAlias("@example.org") }
        #expect(throws: DirectoryError.unknownDomain("nowhere.example")) {
            try directory.addAlias("@nowhere.example", targets: ["alice@example.org"])
        }
        #expect(throws: DirectoryError.noSuchUser("ghost@example.org")) {
            try directory.addAlias("@example.org", targets: ["ghost@example.org"])
        }
        for bad in ["@", "@-bad.example", "@@example.org", "@example.org."] {
            #expect(throws: DirectoryError.invalidAddress(bad)) { try directory.addAlias(bad, targets: ["alice@example.org"]) }
        }
    }

    @Test func theFirstAddedDomainIsNotTheFirstByName() throws {
        let fixture = try Fixture()
        let directory = fixture.directory
        #expect(try directory.firstAddedDomain() == nil)
        try directory.addDomain("zeta.example")
        try directory.addDomain("alpha.example")
        #expect(try directory.listDomains() == ["alpha.example", "zeta.example"])
        #expect(try directory.firstAddedDomain() == "zeta.example")
    }

    // MARK: - Recipient lookup

    @Test func plusAddressing() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        _ = try directory.addUser("a+b@example.org", password: password)
        _ = try directory.addUser("a@example.org", password: password)
        try directory.addAlias("sales@example.org", targets: ["alice@example.org"])

        #expect(try directory.lookupRecipient(localPart: "alice+news", domain: "example.org", recipientDelimiter: "+")
                == deliver(["alice@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "alice+news+more", domain: "example.org", recipientDelimiter: "+")
                == deliver(["alice@example.org"]))
        // The exact user wins over stripping.
        #expect(try directory.lookupRecipient(localPart: "a+b", domain: "example.org", recipientDelimiter: "+")
                == deliver(["a+b@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "a+c", domain: "example.org", recipientDelimiter: "+")
                == deliver(["a@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "sales+q3", domain: "example.org", recipientDelimiter: "+")
                == deliver(["alice@example.org"]))
        // Without a delimiter there is no stripping.
        #expect(try directory.lookupRecipient(localPart: "alice+news", domain: "example.org", recipientDelimiter: nil)
                == .unknownUser)
        #expect(try directory.lookupRecipient(localPart: "+news", domain: "example.org", recipientDelimiter: "+")
                == .unknownUser)
    }

    @Test func lookupIsCaseInsensitive() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        #expect(try directory.lookupRecipient(localPart: "ALICE", domain: "Example.Org", recipientDelimiter: nil)
                == deliver(["alice@example.org"]))
        #expect(try directory.lookupRecipient(localPart: "Alice+Tag", domain: "EXAMPLE.ORG", recipientDelimiter: "+")
                == deliver(["alice@example.org"]))
    }

    @Test func unknownUsersAndRelayDomains() throws {
        let fixture = try Fixture.example()
        let directory = fixture.directory
        #expect(try directory.lookupRecipient(localPart: "alice", domain: "example.com", recipientDelimiter: "+")
                == .notLocalDomain)
        #expect(try directory.lookupRecipient(localPart: "nobody", domain: "example.org", recipientDelimiter: "+")
                == .unknownUser)
        #expect(try directory.lookupRecipient(localPart: "postmaster", domain: "example.org", recipientDelimiter: "+")
                == .unknownUser)
        #expect(try directory.lookupRecipient(localPart: "../alice", domain: "example.org", recipientDelimiter: "+")
                == .unknownUser)
    }

    @Test func concurrentReadersAndWriters() async throws {
        let fixture = try Fixture()
        // Two handles on one file, as the server and the CLI would have.
        let server = fixture.directory
        let cli = try SQLiteAccountDirectory(path: fixture.path)
        try cli.addDomain("example.org")

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try cli.addAlias("list\(index)@example.org", targets: ["someone\(index)@remote.test"])
                }
                group.addTask {
                    _ = try server.lookupRecipient(localPart: "list\(index)", domain: "example.org", recipientDelimiter: "+")
                }
            }
            try await group.waitForAll()
        }
        #expect(try server.listAliases(domain: "example.org").count == 20)
    }
}
