import AccountDirectory
import Dispatch
import NIOCore
import NIOPosix
import SMTPProtocol
import Testing
@testable import TsubameServer

/// The cache of successful password checks (`[auth] cache_seconds`, `cache_size`).
@Suite struct VerifiedPasswordsTests {
    static let second: UInt64 = 1_000_000_000

    @Test func remembersOnlyThisPasswordForThisHashUntilItExpires() {
        let cache = VerifiedPasswords(settings: .init(seconds: 60, capacity: 10))
        #expect(!cache.contains(hash: "H1", password: "pw", now: 0))
        cache.remember(hash: "H1", password: "pw", now: 0)
        #expect(cache.contains(hash: "H1", password: "pw", now: 59 * Self.second))
        #expect(!cache.contains(hash: "H1", password: "pw2", now: 0))
        #expect(!cache.contains(hash: "H2", password: "pw", now: 0), "a new hash (user passwd) ends it")
        // "H1\0pw" and "H1" + "\0pw" must not meet: the separator keeps the parts apart.
        #expect(!cache.contains(hash: "H1\u{0}pw", password: "", now: 0))
        #expect(!cache.contains(hash: "H1", password: "pw", now: 60 * Self.second), "expired")
        #expect(cache.count == 0, "an expired entry is dropped when found")
    }

    @Test func staysWithinItsCapacityDroppingTheSoonestToExpire() {
        let cache = VerifiedPasswords(settings: .init(seconds: 100, capacity: 3))
        for n in 0..<3 { cache.remember(hash: "H\(n)", password: "pw", now: UInt64(n) * Self.second) }
        cache.remember(hash: "H3", password: "pw", now: 3 * Self.second)
        #expect(cache.count == 3)
        #expect(!cache.contains(hash: "H0", password: "pw", now: 3 * Self.second))
        #expect(cache.contains(hash: "H3", password: "pw", now: 3 * Self.second))
        cache.update(.init(seconds: 100, capacity: 1))
        #expect(cache.count == 1 && cache.contains(hash: "H3", password: "pw", now: 3 * Self.second))
        cache.update(.init(seconds: 0, capacity: 1))
        #expect(cache.count == 0)
        cache.remember(hash: "H4", password: "pw", now: 4 * Self.second)
        #expect(cache.count == 0, "cache_seconds = 0 keeps nothing")
    }

    @Test func theDirectoryRemembersSuccessesAndForgetsThemWithTheHash() throws {
        let file = try TemporaryDirectoryFile("VerifiedPasswords")
        let directory = try file.open()
        try directory.addDomain("example.org")
        _ = try directory.addUser("alice@example.org", password: "correct horse")
        let alice = MailboxAddress(localPart: "alice", domain: "example.org")
        #expect(try directory.verifyRememberedPassword(address: "alice@example.org", password: "correct horse") == nil)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "wrong horse") == nil)
        #expect(directory.verifiedPasswords.count == 0, "failures are never kept")
        #expect(try directory.verifyPassword(address: "ALICE@example.org", password: "correct horse") == alice)
        #expect(try directory.verifyRememberedPassword(address: "alice@example.org", password: "correct horse") == alice)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "correct horse") == alice)
        #expect(try directory.verifyRememberedPassword(address: "alice@example.org", password: "wrong horse") == nil)
        // A new password ends the old one at once.
        try directory.setPassword("alice@example.org", password: "battery staple")
        #expect(try directory.verifyRememberedPassword(address: "alice@example.org", password: "correct horse") == nil)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "correct horse") == nil)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "battery staple") == alice)
        try directory.removeUser("alice@example.org")
        #expect(try directory.verifyRememberedPassword(address: "alice@example.org", password: "battery staple") == nil)
        #expect(try directory.verifyPassword(address: "alice@example.org", password: "battery staple") == nil)
    }

    /// A returning client's login does not wait for the hashing threads: with them all busy
    /// (a flood of wrong passwords) it is still verified at once.
    @Test func aRememberedLoginSkipsTheHashingQueue() async throws {
        let file = try TemporaryDirectoryFile("VerifiedPasswordsQueue")
        let directory = try file.open()
        try directory.addDomain("example.org")
        _ = try directory.addUser("alice@example.org", password: "correct horse")
        let lookupThreads = NIOThreadPool(numberOfThreads: 1), hashingThreads = NIOThreadPool(numberOfThreads: 1)
        lookupThreads.start()
        hashingThreads.start()
        let server = SQLiteServerDirectory(directory: directory, lookupThreads: lookupThreads, hashingThreads: hashingThreads)
        let verifier = PasswordVerifier(directory: server, maximumPending: 1, verifiedPasswords: directory.verifiedPasswords)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let alice = MailboxAddress(localPart: "alice", domain: "example.org")
        #expect(try await verifier.verify(user: "alice@example.org", password: "correct horse", on: loop).get() == .verified(alice))
        // The one hashing thread is held and the one queue place taken.
        let gate = DispatchSemaphore(value: 0)
        hashingThreads.submit { _ in gate.wait() }
        let stuck = verifier.verify(user: "alice@example.org", password: "wrong horse", on: loop)
        // Its lookup comes first: wait until it holds the queue's place.
        for _ in 0..<400 where verifier.pendingCount < 1 { try await Task.sleep(for: .milliseconds(5)) }
        try #require(verifier.pendingCount == 1)
        #expect(try await verifier.verify(user: "mallory@example.org", password: "x", on: loop).get() == .busy)
        #expect(try await verifier.verify(user: "alice@example.org", password: "correct horse", on: loop).get() == .verified(alice))
        gate.signal()
        #expect(try await stuck.get() == .rejected)
        try await lookupThreads.shutdownGracefully()
        try await hashingThreads.shutdownGracefully()
    }
}
