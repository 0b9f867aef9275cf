import AccountDirectory
import Dispatch
import Foundation
import MaildirStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPProtocol
import Testing
@testable import TsubameServer

/// The async server side of the SQLite directory: every call on a thread pool, password
/// hashing on one of its own, and the server's `PasswordVerifier` over it.
@Suite struct SQLiteServerDirectoryTests {
    static let alice = MailboxAddress(localPart: "alice", domain: "example.org")

    /// example.org with alice and info@ -> alice; a one-thread pool each for lookups and hashing.
    final class Fixture {
        let file: TemporaryDirectoryFile
        let directory: SQLiteAccountDirectory
        let lookupThreads = NIOThreadPool(numberOfThreads: 1)
        let hashingThreads = NIOThreadPool(numberOfThreads: 1)
        let server: SQLiteServerDirectory

        init() throws {
            file = try TemporaryDirectoryFile("ServerDirectoryTests")
            directory = try file.open()
            try directory.addDomain("example.org")
            _ = try directory.addUser("alice@example.org", password: "correct horse")
            try directory.addAlias("info@example.org", targets: ["alice@example.org"])
            lookupThreads.start()
            hashingThreads.start()
            server = SQLiteServerDirectory(directory: directory, lookupThreads: lookupThreads,
                                           hashingThreads: hashingThreads)
        }

        func shutdown() async throws {
            try await lookupThreads.shutdownGracefully()
            try await hashingThreads.shutdownGracefully()
        }
    }

    @Test func answersLikeTheSynchronousDirectory() async throws {
        let fixture = try Fixture()
        let server = fixture.server
        #expect(try await server.lookupRecipient(localPart: "Info", domain: "example.org", recipientDelimiter: "+")
                == .deliver(RecipientExpansion(mailboxes: [Self.alice])))
        #expect(try await server.lookupRecipient(localPart: "x", domain: "elsewhere.example", recipientDelimiter: nil)
                == .notLocalDomain)
        #expect(try await server.isLocalDomain("EXAMPLE.org"))
        #expect(try await server.firstAddedDomain() == "example.org")
        #expect(try await server.mayUseSender(account: Self.alice, address: "info@example.org", recipientDelimiter: "+"))
        #expect(try await !server.mayUseSender(account: Self.alice, address: "x@elsewhere.example", recipientDelimiter: "+"))
        #expect(try await server.verifyPassword(address: "alice@example.org", password: "correct horse") == Self.alice)
        #expect(try await server.verifyPassword(address: "alice@example.org", password: "wrong horse") == nil)
        #expect(try await server.scramCredentials(address: "alice@example.org")
                == fixture.directory.scramCredentials(address: "alice@example.org"))
        #expect(try await server.scramCredentials(address: "nobody@example.org").mailbox == nil)
        try await fixture.shutdown()
    }

    @Test func lookupsGoOnWhileEveryHashingThreadIsBusy() async throws {
        let fixture = try Fixture()
        let gate = DispatchSemaphore(value: 0)
        fixture.hashingThreads.submit { _ in gate.wait() }
        let login = Task { [server = fixture.server] in
            try await server.verifyPassword(address: "alice@example.org", password: "correct horse")
        }
        #expect(try await fixture.server.lookupRecipient(localPart: "alice", domain: "example.org", recipientDelimiter: nil)
                == .deliver(RecipientExpansion(mailboxes: [Self.alice])))
        #expect(try await fixture.server.scramCredentials(address: "alice@example.org").mailbox == Self.alice)
        gate.signal()
        #expect(try await login.value == Self.alice)
        try await fixture.shutdown()
    }

    @Test func aPoolShutDownIsAnErrorNotAnAnswer() async throws {
        let fixture = try Fixture()
        try await fixture.shutdown()
        await #expect(throws: (any Error).self) {
            try await fixture.server.lookupRecipient(localPart: "alice", domain: "example.org", recipientDelimiter: nil)
        }
        await #expect(throws: (any Error).self) {
            try await fixture.server.verifyPassword(address: "alice@example.org", password: "correct horse")
        }
    }

    @Test func thePasswordVerifierChecksThroughIt() async throws {
        let fixture = try Fixture()
        let verifier = PasswordVerifier(directory: fixture.server, maximumPending: 4)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        #expect(try await verifier.verify(user: "alice@example.org", password: "correct horse", on: loop).get()
                == .verified(Self.alice))
        #expect(try await verifier.verify(user: "alice@example.org", password: "wrong horse", on: loop).get() == .rejected)
        #expect(try await verifier.verify(user: "info@example.org", password: "correct horse", on: loop).get() == .rejected)
        #expect(verifier.pendingCount == 0)
        try await fixture.shutdown()
        // Nothing was checked: busy, never a failed login.
        #expect(try await verifier.verify(user: "alice@example.org", password: "correct horse", on: loop).get() == .busy)
    }

    @Test func theResolverAsksItFromTheEventLoop() async throws {
        let fixture = try Fixture()
        let resolver = RecipientResolver(directory: fixture.server, primaryDomain: { "example.org" })
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let verdict = try await resolver.verdict(for: SMTPMailbox(localPart: "info", domain: "example.org"),
                                                 recipientDelimiter: "+", on: loop).get()
        #expect(verdict == .accept(ResolvedRecipient(mailboxes: [LocalMailbox(domain: "example.org", localPart: "alice")],
                                                     remoteAddresses: [])))
        try await fixture.shutdown()
        // (alice, not info: an acceptance moments ago is remembered, see below.)
        #expect(try await resolver.verdict(for: SMTPMailbox(localPart: "alice", domain: "example.org"),
                                           recipientDelimiter: "+", on: loop).get() == .temporaryFailure)
    }

    /// Forwards to the SQLite directory and counts the recipient lookups that reach it.
    final class CountingDirectory: RecipientDirectory {
        let inner: SQLiteServerDirectory
        let lookups = NIOLockedValueBox(0)
        init(_ inner: SQLiteServerDirectory) { self.inner = inner }
        func lookupRecipient(localPart: String, domain: String, recipientDelimiter: String?) async throws -> RecipientLookup {
            lookups.withLockedValue { $0 += 1 }
            return try await inner.lookupRecipient(localPart: localPart, domain: domain, recipientDelimiter: recipientDelimiter)
        }
        func isLocalDomain(_ domain: String) async throws -> Bool { try await inner.isLocalDomain(domain) }
        func firstAddedDomain() async throws -> String? { try await inner.firstAddedDomain() }
        func mayUseSender(account: MailboxAddress, address: String, recipientDelimiter: String?) async throws -> Bool {
            try await inner.mayUseSender(account: account, address: address, recipientDelimiter: recipientDelimiter)
        }
        func changeStamp() -> DirectoryChangeStamp? { inner.changeStamp() }
    }

    @Test func acceptancesAreRememberedUntilTheDirectoryChanges() async throws {
        let fixture = try Fixture()
        let counting = CountingDirectory(fixture.server)
        // An hour: under a loaded test run, seconds can pass between two awaits here, and the
        // 10 s expiry is checked with explicit times below.
        let resolver = RecipientResolver(directory: counting, primaryDomain: { "example.org" },
                                         acceptanceLifetime: .hours(1))
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        func verdict(_ localPart: String) async throws -> RecipientVerdict<ResolvedRecipient> {
            try await resolver.verdict(for: SMTPMailbox(localPart: localPart, domain: "example.org"),
                                       recipientDelimiter: "+", on: loop).get()
        }
        let alice = RecipientVerdict<ResolvedRecipient>.accept(
            ResolvedRecipient(mailboxes: [LocalMailbox(domain: "example.org", localPart: "alice")], remoteAddresses: []))
        #expect(try await verdict("alice") == alice)
        let afterFirst = counting.lookups.withLockedValue { $0 }
        for _ in 0..<5 { #expect(try await verdict("alice") == alice) }
        #expect(counting.lookups.withLockedValue { $0 } == afterFirst, "answered from memory")
        // Refusals are not remembered: each asks the directory.
        #expect(try await verdict("nobody") == .unknownUser)
        #expect(try await verdict("nobody") == .unknownUser)
        #expect(counting.lookups.withLockedValue { $0 } == afterFirst + 2)
        // Any write to the directory (the CLI's, from another process, alike) forgets them all.
        try fixture.directory.removeUser("alice@example.org")
        #expect(try await verdict("alice") == .unknownUser)
        _ = try fixture.directory.addUser("bob@example.org", password: "battery staple")
        #expect(try await verdict("bob") == .accept(
            ResolvedRecipient(mailboxes: [LocalMailbox(domain: "example.org", localPart: "bob")], remoteAddresses: [])))
        try await fixture.shutdown()
    }

    @Test func anAcceptanceIsForgottenAfterItsLifetime() {
        let cache = RecipientVerdictCache()
        let key = RecipientVerdictCache.Key(address: "alice@example.org", recipientDelimiter: "+", primaryDomain: "example.org")
        let alice = ResolvedRecipient(mailboxes: [LocalMailbox(domain: "example.org", localPart: "alice")], remoteAddresses: [])
        let stamp = DirectoryChangeStamp([1, 2, 3])
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        #expect(cache.accepted(key, stamp: stamp, now: start) == nil)
        cache.remember(key, alice, stamp: stamp, now: start)
        #expect(cache.accepted(key, stamp: stamp, now: start + .seconds(9)) == alice)
        #expect(cache.accepted(key, stamp: stamp, now: start + .seconds(10)) == nil)
        // Remembered again, then the directory changes: forgotten at once.
        cache.remember(key, alice, stamp: stamp, now: start + .seconds(10))
        #expect(cache.accepted(key, stamp: DirectoryChangeStamp([1, 2, 4]), now: start + .seconds(11)) == nil)
        #expect(cache.accepted(key, stamp: stamp, now: start + .seconds(11)) == nil)
    }
}
