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

@Suite("Places in the password-check queue")
struct PasswordCheckAdmissionTests {
    let home = ClientNetwork(address: "198.51.100.7")

    @Test func oneNetworkHoldsOnlyItsShare() {
        var admission = PasswordCheckAdmission()
        let bot = ClientNetwork(address: "192.0.2.1")
        let admitted = (0..<10).filter { _ in admission.admit(bot, returning: false, limit: 64) }.count
        #expect(admitted == 4)
        let homeAdmitted = admission.admit(home, returning: false, limit: 64)
        #expect(homeAdmitted)
    }

    @Test func aFloodFromManyNetworksLeavesAPlaceForReturningClients() {
        var admission = PasswordCheckAdmission()
        var refused = 0
        for index in 0..<200 where !admission.admit(ClientNetwork(address: "10.0.\(index / 250).\(index % 250)"),
                                                    returning: false, limit: 64) {
            refused += 1
        }
        #expect(admission.total == 48)
        #expect(refused == 152)
        let newcomerAdmitted = admission.admit(ClientNetwork(address: "203.0.113.9"), returning: false, limit: 64)
        #expect(!newcomerAdmitted)
        let returningAdmitted = admission.admit(home, returning: true, limit: 64)
        #expect(returningAdmitted)
        admission.release(home)
        #expect(admission.total == 48)
    }

    @Test func returningClientsAreRememberedForAWhile() {
        var clients = ReturningClients()
        clients.recordSuccess(home, now: 1)
        #expect(clients.contains(home, now: 2))
        #expect(!clients.contains(home, now: 2 + ReturningClients.window))
        #expect(!clients.contains(ClientNetwork(address: "192.0.2.1"), now: 2))
    }

    @Test func anOwnerWhoLoggedInBeforeGetsInDuringAFlood() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let gate = DispatchSemaphore(value: 0)
        let verifier = PasswordVerifier(threads: pool, maximumPending: 8) { user, password in
            if user == "bot" { gate.wait() }
            return password == "right" ? AuthenticatorTests.alice : nil
        }
        var settings = AuthSettings()
        settings.failureDelayMilliseconds = 0
        settings.accountFailureDelayMilliseconds = 0
        let authenticator = Authenticator(verifier: verifier, settings: settings)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let first = try await authenticator.authenticate(user: "alice@example.org", password: "right",
                                                         client: "198.51.100.7", on: loop).get()
        #expect(first == .verified(AuthenticatorTests.alice))
        // Bots from many addresses fill every place a newcomer may take (8 - 2 reserved).
        let bots = (0..<10).map { index in
            authenticator.authenticate(user: "bot", password: "x", client: "192.0.2.\(index)", on: loop)
        }
        #expect(verifier.pendingCount == 6)
        #expect(try await authenticator.authenticate(user: "alice@example.org", password: "right",
                                                     client: "203.0.113.9", on: loop).get() == .busy)
        let owner = authenticator.authenticate(user: "alice@example.org", password: "right",
                                               client: "198.51.100.7", on: loop)
        for _ in 0..<6 { gate.signal() }
        #expect(try await owner.get() == .verified(AuthenticatorTests.alice))
        for bot in bots { _ = try await bot.get() }
        try await pool.shutdownGracefully()
    }
}
