import AccountDirectory
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import TsubameConfig
@testable import TsubameServer

@Suite("Password checks and logins")
struct AuthenticatorTests {
    static let alice = MailboxAddress(localPart: "alice", domain: "example.org")
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    /// A directory with one account, alice@example.org / "right", counting its checks.
    final class FakeDirectory: Sendable {
        let checks = NIOLockedValueBox(0)

        func check(user: String, password: String) -> MailboxAddress? {
            checks.withLockedValue { $0 += 1 }
            return user.lowercased() == "\(AuthenticatorTests.alice)" && password == "right" ? AuthenticatorTests.alice : nil
        }
    }

    func settings() -> AuthSettings {
        var settings = AuthSettings()
        settings.failureDelayMilliseconds = 0
        settings.accountFailureDelayMilliseconds = 0
        settings.lockoutFailures = 4
        settings.lockoutFailuresPerAccount = 2
        return settings
    }

    /// An `Authenticator` over the fake directory, on threads of its own.
    struct Harness {
        let pool = NIOThreadPool(numberOfThreads: 2)
        let directory = FakeDirectory()
        let authenticator: Authenticator
        let loop = MultiThreadedEventLoopGroup.singleton.next()

        init(settings: AuthSettings) {
            pool.start()
            let directory = self.directory
            let verifier = PasswordVerifier(threads: pool, maximumPending: 64) { user, password in
                directory.check(user: user, password: password)
            }
            authenticator = Authenticator(verifier: verifier, settings: settings)
        }

        func login(_ user: String, _ password: String, from client: String) async throws -> LoginOutcome {
            try await authenticator.authenticate(user: user, password: password, client: client, on: loop).get()
        }

        var checks: Int { directory.checks.withLockedValue { $0 } }

        func shutdown() async throws { try await pool.shutdownGracefully() }
    }

    @Test func ownerLogsInWhileStrangersFailOnTheAccount() async throws {
        let harness = Harness(settings: settings())
        for index in 0..<50 {
            #expect(try await harness.login("alice@example.org", "guess\(index)", from: "10.0.0.\(index)") == .rejected)
        }
        #expect(try await harness.login("alice@example.org", "right", from: "198.51.100.7") == .verified(Self.alice))
        try await harness.shutdown()
    }

    @Test func lockedOutNetworkIsRefusedWithoutAPasswordCheck() async throws {
        let harness = Harness(settings: settings())
        for account in ["alice@example.org", "bob@example.org", "carol@example.org", "dave@example.org"] {
            #expect(try await harness.login(account, "wrong", from: "::ffff:192.0.2.1") == .rejected)
        }
        let checked = harness.checks
        #expect(try await harness.login("alice@example.org", "right", from: "192.0.2.1") == .lockedOut)
        #expect(harness.checks == checked)
        #expect(try await harness.login("alice@example.org", "right", from: "192.0.2.2") == .verified(Self.alice))
        try await harness.shutdown()
    }

    @Test func unknownAccountsAreLockedOutLikeKnownOnes() async throws {
        let harness = Harness(settings: settings())
        for (account, client) in [("alice@example.org", "192.0.2.1"), ("nobody@example.org", "192.0.2.2")] {
            #expect(try await harness.login(account, "wrong", from: client) == .rejected)
            #expect(try await harness.login(account, "wrong", from: client) == .rejected)
            #expect(try await harness.login(account, "wrong", from: client) == .lockedOut)
        }
        try await harness.shutdown()
    }

    @Test func pastMaximumPendingLoginsAreBusyAtOnceAndNotCounted() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let gate = DispatchSemaphore(value: 0)
        let verifier = PasswordVerifier(threads: pool, maximumPending: 2) { _, _ in
            gate.wait()
            return nil
        }
        let first = verifier.verify(user: "a", password: "x", on: loop)
        let second = verifier.verify(user: "a", password: "x", on: loop)
        #expect(try await verifier.verify(user: "a", password: "x", on: loop).get() == .busy)
        #expect(verifier.pendingCount == 2)
        gate.signal()
        gate.signal()
        #expect(try await first.get() == .rejected)
        #expect(try await second.get() == .rejected)
        #expect(verifier.pendingCount == 0)
        gate.signal()
        #expect(try await verifier.verify(user: "a", password: "x", on: loop).get() == .rejected)
        try await pool.shutdownGracefully()
    }

    @Test func directoryFailureIsBusyNotAFailedLogin() async throws {
        struct Broken: Error {}
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let verifier = PasswordVerifier(threads: pool, maximumPending: 2) { _, _ in throw Broken() }
        var strict = settings()
        strict.lockoutFailures = 1
        let authenticator = Authenticator(verifier: verifier, settings: strict)
        for _ in 0..<3 {
            let outcome = try await authenticator.authenticate(user: "alice@example.org", password: "x",
                                                               client: "192.0.2.1", on: loop).get()
            #expect(outcome == .busy)
        }
        #expect(verifier.pendingCount == 0)
        try await pool.shutdownGracefully()
    }
}
