import AccountDirectory
import Foundation
import MaildirStore
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

        func resolve(_ localPart: String, _ domain: String, primary: String = "zeta.example") -> RecipientVerdict<ResolvedRecipient> {
            RecipientResolver.resolve(SMTPMailbox(localPart: localPart, domain: domain), recipientDelimiter: "+",
                                      configuredPrimary: primary, directory: directory)
        }
    }

    static func delivered(to mailbox: String) -> RecipientVerdict<ResolvedRecipient> {
        let parts = mailbox.split(separator: "@").map(String.init)
        return .accept(ResolvedRecipient(mailboxes: [LocalMailbox(domain: parts[1], localPart: parts[0])], remoteAddresses: []))
    }

    @Test func barePostmasterIsThePrimaryDomainsNotTheFirstByName() throws {
        let fixture = try Directory()
        #expect(fixture.resolve("Postmaster", "") == Self.delivered(to: "admin@zeta.example"))
    }

    @Test func withoutAConfiguredPrimaryTheDomainAddedFirstIsUsed() throws {
        let fixture = try Directory()
        #expect(fixture.resolve("postmaster", "", primary: "") == Self.delivered(to: "admin@zeta.example"))
        // A primary domain removed from the directory since: the same fallback.
        #expect(fixture.resolve("postmaster", "", primary: "gone.example") == Self.delivered(to: "admin@zeta.example"))
    }

    @Test func postmasterOfADomainWithoutOneIsThePrimaryPostmaster() throws {
        let fixture = try Directory()
        #expect(fixture.resolve("PostMaster", "alpha.example") == Self.delivered(to: "admin@zeta.example"))
        // Only postmaster: other unknown names stay unknown, other domains are not ours.
        #expect(fixture.resolve("abuse", "alpha.example") == .unknownUser)
        #expect(fixture.resolve("postmaster", "elsewhere.example") == .relayDenied)
    }

    @Test func aDomainsOwnPostmasterWins() throws {
        let fixture = try Directory()
        try fixture.directory.addAlias("postmaster@alpha.example", targets: ["alice@alpha.example"])
        #expect(fixture.resolve("postmaster", "alpha.example") == Self.delivered(to: "alice@alpha.example"))
        #expect(fixture.resolve("Postmaster", "") == Self.delivered(to: "admin@zeta.example"))
    }

    @Test func noPostmasterAnywhereIsUnknown() throws {
        let fixture = try Directory()
        try fixture.directory.removeAlias("postmaster@zeta.example")
        #expect(fixture.resolve("Postmaster", "") == .unknownUser)
        #expect(fixture.resolve("postmaster", "alpha.example") == .unknownUser)
    }
}
