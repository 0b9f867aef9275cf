import AccountDirectory
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SASL
import Testing
import TsubameConfig
@testable import TsubameServer

@Suite("SCRAM logins through the authenticator")
struct AuthenticatorSCRAMTests {
    static let alice = MailboxAddress(localPart: "alice", domain: "example.org")
    static let keys = SCRAMCredentials.derive(password: "right", salt: Array("saltsaltsalt".utf8), iterations: 4096)!
    static let madeUp = SCRAMCredentials.derive(password: "decoy", salt: Array("decoysalt123".utf8), iterations: 4096)!
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    /// alice has keys; everyone else gets made-up ones. Counts lookups; can be broken.
    final class Directory: CredentialDirectory {
        let lookups = NIOLockedValueBox(0)
        let broken: Bool

        init(broken: Bool = false) { self.broken = broken }

        func verifyPassword(address: String, password: String) async throws -> MailboxAddress? { nil }

        func scramCredentials(address: String) async throws -> SCRAMLookup {
            struct Failure: Error {}
            lookups.withLockedValue { $0 += 1 }
            if broken { throw Failure() }
            return address.lowercased() == "alice@example.org"
                ? SCRAMLookup(mailbox: AuthenticatorSCRAMTests.alice, credentials: AuthenticatorSCRAMTests.keys)
                : SCRAMLookup(mailbox: nil, credentials: AuthenticatorSCRAMTests.madeUp)
        }
    }

    func authenticator(_ directory: Directory?, lockoutFailures: Int = 3) -> Authenticator {
        var settings = AuthSettings()
        settings.failureDelayMilliseconds = 0
        settings.accountFailureDelayMilliseconds = 0
        settings.lockoutFailures = lockoutFailures
        settings.lockoutFailuresPerAccount = 100
        let verifier = PasswordVerifier(maximumPending: 8) { _, _ in nil }
        return Authenticator(verifier: verifier, settings: settings, credentials: directory)
    }

    @Test func looksUpKeysAndAcceptsAVerifiedProof() async throws {
        let authenticator = authenticator(Directory())
        let lookup = try await authenticator.lookUpSCRAM(user: "alice@example.org", client: "192.0.2.1", on: loop).get()
        #expect(lookup == .found(SCRAMLookup(mailbox: Self.alice, credentials: Self.keys)))
        guard case .found(let found) = lookup else { return }
        let outcome = try await authenticator.finishSCRAM(user: "alice@example.org", lookup: found, proofVerified: true,
                                                          client: "192.0.2.1", on: loop).get()
        #expect(outcome == .verified(Self.alice))
    }

    /// Made-up keys name no mailbox: even a proof that verified against them logs no one in.
    @Test func unknownUserIsRejectedWhateverTheProof() async throws {
        let authenticator = authenticator(Directory())
        let lookup = SCRAMLookup(mailbox: nil, credentials: Self.madeUp)
        for verified in [true, false] {
            let outcome = try await authenticator.finishSCRAM(user: "nobody@example.org", lookup: lookup,
                                                              proofVerified: verified, client: "192.0.2.1", on: loop).get()
            #expect(outcome == .rejected)
        }
    }

    /// Wrong proofs count like wrong passwords: the network is locked out, and then nothing
    /// is looked up for it, not even the salt.
    @Test func wrongProofsLockTheNetworkOutBeforeAnyLookup() async throws {
        let directory = Directory()
        let authenticator = authenticator(directory, lockoutFailures: 3)
        let lookup = SCRAMLookup(mailbox: Self.alice, credentials: Self.keys)
        for _ in 0..<3 {
            let outcome = try await authenticator.finishSCRAM(user: "alice@example.org", lookup: lookup,
                                                              proofVerified: false, client: "192.0.2.1", on: loop).get()
            #expect(outcome == .rejected)
        }
        #expect(try await authenticator.lookUpSCRAM(user: "alice@example.org", client: "192.0.2.1", on: loop).get() == .lockedOut)
        #expect(directory.lookups.withLockedValue { $0 } == 0)
        // A password login from there is locked out too: one throttle for every method.
        #expect(try await authenticator.authenticate(user: "alice@example.org", password: "right",
                                                     client: "192.0.2.1", on: loop).get() == .lockedOut)
        // Another network is not.
        #expect(try await authenticator.lookUpSCRAM(user: "alice@example.org", client: "192.0.2.2", on: loop).get()
                == .found(lookup))
    }

    @Test func directoryFailureOrNoDirectoryIsBusy() async throws {
        for authenticator in [authenticator(Directory(broken: true)), authenticator(nil)] {
            #expect(try await authenticator.lookUpSCRAM(user: "alice@example.org", client: "192.0.2.1", on: loop).get() == .busy)
        }
    }
}
