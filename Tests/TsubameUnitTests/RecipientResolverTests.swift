import AccountDirectory
import Foundation
import MaildirStore
import NIOPosix
import SMTPProtocol
import Testing
@testable import TsubameServer

/// RFC 5321 §4.5.1: postmaster at every local domain, and `<Postmaster>` for the primary one.
@Suite struct RecipientResolverTests {
    /// zeta.example added first (as `init --domain zeta.example` does), then alpha.example, which
    /// comes first by name; zeta has a postmaster alias to its user "admin".
    final class Directory {
        let folder: URL
        let directory: SQLiteAccountDirectory

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("ResolverTests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            directory = try SQLiteAccountDirectory(path: folder.appendingPathComponent("directory.sqlite").path)
            try directory.addDomain("zeta.example")
            try directory.addDomain("alpha.example")
            _ = try directory.addUser("admin@zeta.example", password: "correct horse")
            _ = try directory.addUser("alice@alpha.example", password: "correct horse")
            try directory.addAlias("postmaster@zeta.example", targets: ["admin@zeta.example"])
        }

        deinit { try? FileManager.default.removeItem(at: folder) }

        /// Through the async adapter, as the server asks, on a pool of this fixture's own.
        func resolve(_ localPart: String, _ domain: String, primary: String = "zeta.example") async -> RecipientVerdict<ResolvedRecipient> {
            await RecipientResolver.resolve(SMTPMailbox(localPart: localPart, domain: domain), recipientDelimiter: "+",
                                            configuredPrimary: primary, directory: serverDirectory)
        }

        var serverDirectory: SQLiteServerDirectory {
            SQLiteServerDirectory(directory: directory, lookupThreads: .singleton, hashingThreads: .singleton)
        }
    }

    static func delivered(to mailbox: String) -> RecipientVerdict<ResolvedRecipient> {
        let parts = mailbox.split(separator: "@").map(String.init)
        return .accept(ResolvedRecipient(mailboxes: [LocalMailbox(domain: parts[1], localPart: parts[0])], remoteAddresses: []))
    }

    @Test func barePostmasterIsThePrimaryDomainsNotTheFirstByName() async throws {
        let fixture = try Directory()
        #expect(await fixture.resolve("Postmaster", "") == Self.delivered(to: "admin@zeta.example"))
    }

    @Test func withoutAConfiguredPrimaryTheDomainAddedFirstIsUsed() async throws {
        let fixture = try Directory()
        #expect(await fixture.resolve("postmaster", "", primary: "") == Self.delivered(to: "admin@zeta.example"))
        // A primary domain removed from the directory since: the same fallback.
        #expect(await fixture.resolve("postmaster", "", primary: "gone.example") == Self.delivered(to: "admin@zeta.example"))
    }

    @Test func postmasterOfADomainWithoutOneIsThePrimaryPostmaster() async throws {
        let fixture = try Directory()
        #expect(await fixture.resolve("PostMaster", "alpha.example") == Self.delivered(to: "admin@zeta.example"))
        // Only postmaster: other unknown names stay unknown, other domains are not ours.
        #expect(await fixture.resolve("abuse", "alpha.example") == .unknownUser)
        #expect(await fixture.resolve("postmaster", "elsewhere.example") == .relayDenied)
    }

    @Test func aDomainsOwnPostmasterWins() async throws {
        let fixture = try Directory()
        try fixture.directory.addAlias("postmaster@alpha.example", targets: ["alice@alpha.example"])
        #expect(await fixture.resolve("postmaster", "alpha.example") == Self.delivered(to: "alice@alpha.example"))
        #expect(await fixture.resolve("Postmaster", "") == Self.delivered(to: "admin@zeta.example"))
    }

    @Test func noPostmasterAnywhereIsUnknown() async throws {
        let fixture = try Directory()
        try fixture.directory.removeAlias("postmaster@zeta.example")
        #expect(await fixture.resolve("Postmaster", "") == .unknownUser)
        #expect(await fixture.resolve("postmaster", "alpha.example") == .unknownUser)
    }
}
