import AccountDirectory
import Foundation
import SASL
import Testing

/// SCRAM-SHA-256 keys in the directory (RFC 5802 §3, RFC 7677): stored when a password is set,
/// added at the first login that shows the password, made up for everyone else.
@Suite struct AccountDirectorySCRAMTests {
    static let password = "correct horse"
    static let alice = MailboxAddress(localPart: "alice", domain: "example.org")

    /// example.org with alice.
    static func example() throws -> (TemporaryDirectoryFile, SQLiteAccountDirectory) {
        let file = try TemporaryDirectoryFile("SCRAMTests")
        let directory = try file.open()
        try directory.addDomain("example.org")
        _ = try directory.addUser("alice@example.org", password: password)
        return (file, directory)
    }

    /// What a client knowing `password` computes from the salt and count the server sent.
    static func keys(_ password: String, like credentials: SCRAMCredentials) -> SCRAMCredentials? {
        SCRAMCredentials.derive(password: password, salt: credentials.salt, iterations: credentials.iterations)
    }

    @Test func addingAUserStoresKeysForItsPassword() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        let stored = try #require(try file.storedSCRAMKeys("alice", "example.org"))
        let credentials = try #require(SCRAMCredentials(encoded: stored))
        #expect(credentials.iterations == SCRAMCredentials.defaultIterations)
        #expect(credentials.salt.count == 16)
        #expect(Self.keys(Self.password, like: credentials) == credentials)
        let lookup = try directory.scramCredentials(address: "Alice@Example.ORG")
        #expect(lookup == SCRAMLookup(mailbox: Self.alice, credentials: credentials))
    }

    @Test func changingThePasswordReplacesTheKeys() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        let before = try directory.scramCredentials(address: "alice@example.org").credentials
        try directory.setPassword("alice@example.org", password: "battery staple")
        let after = try directory.scramCredentials(address: "alice@example.org")
        #expect(after.mailbox == Self.alice)
        #expect(after.credentials != before)
        #expect(Self.keys("battery staple", like: after.credentials) == after.credentials)
        #expect(Self.keys(Self.password, like: after.credentials) != after.credentials)
    }

    @Test func aSuccessfulPasswordLoginAddsMissingKeys() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        try file.clearSCRAMKeys()
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "wrong password") == nil)
        #expect(try file.storedSCRAMKeys("alice", "example.org") == nil)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: Self.password) == Self.alice)
        let stored = try #require(try file.storedSCRAMKeys("alice", "example.org"))
        let credentials = try #require(SCRAMCredentials(encoded: stored))
        #expect(Self.keys(Self.password, like: credentials) == credentials)
        // Present keys are left as they are: a login does not re-salt them.
        _ = try directory.verifyPassword(address: "alice@example.org", password: Self.password)
        #expect(try file.storedSCRAMKeys("alice", "example.org") == stored)
    }

    @Test func madeUpKeysAreStablePerNameAndDifferBetweenNames() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        let nobody = try directory.scramCredentials(address: "nobody@example.org")
        #expect(nobody.mailbox == nil)
        #expect(try directory.scramCredentials(address: "nobody@example.org") == nobody)
        #expect(try directory.scramCredentials(address: "NoBody@Example.org") == nobody)
        let other = try directory.scramCredentials(address: "someone@example.org")
        #expect(other.credentials.salt != nobody.credentials.salt)
        #expect(other.credentials.storedKey != nobody.credentials.storedKey)
        #expect(other.credentials.serverKey != nobody.credentials.serverKey)
        // The shape of real keys: nothing tells them apart before the proof.
        let real = try directory.scramCredentials(address: "alice@example.org").credentials
        #expect(nobody.credentials.salt.count == real.salt.count)
        #expect(nobody.credentials.iterations == real.iterations)
        #expect(nobody.credentials.storedKey.count == 32 && nobody.credentials.serverKey.count == 32)
        #expect(nobody.credentials.encoded.count == real.encoded.count)
    }

    @Test func madeUpKeysNeverVerify() throws {
        let (file, directory) = try Self.example()
        defer { withExtendedLifetime(file) {} }  // the folder goes with it
        // Unknown, malformed, an alias, and a real user without keys yet: no mailbox, and no
        // password anyone would try gives the keys.
        try directory.addAlias("info@example.org", targets: ["alice@example.org"])
        try file.clearSCRAMKeys()
        for name in ["nobody@example.org", "not an address", "info@example.org", "alice@example.org", ""] {
            let lookup = try directory.scramCredentials(address: name)
            #expect(lookup.mailbox == nil, "\(name)")
            for guess in [Self.password, name, "", "password"] {
                #expect(Self.keys(guess, like: lookup.credentials) != lookup.credentials, "\(name) / \(guess)")
            }
        }
    }

    @Test func madeUpKeysDifferBetweenDirectories() throws {
        let (firstFile, first) = try Self.example()
        let (secondFile, second) = try Self.example()
        defer { withExtendedLifetime((firstFile, secondFile)) {} }  // the folders go with them
        #expect(try first.scramCredentials(address: "nobody@example.org")
                != second.scramCredentials(address: "nobody@example.org"))
    }
}
