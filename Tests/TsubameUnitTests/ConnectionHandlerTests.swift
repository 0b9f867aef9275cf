import Foundation
import NIOCore
import Testing
@testable import TsubameServer

/// `SMTPServerHandler` and `POP3ServerHandler` in a channel without a socket, driven only
/// through the wire (bytes in, bytes out) against a real data folder (`HandlerFixture`).
@Suite("Connection handlers")
struct ConnectionHandlerTests {
    let fixture: HandlerFixture

    init() throws {
        fixture = try HandlerFixture()
    }

    /// Greeted, said EHLO; returns the EHLO reply's lines.
    func greetedSMTP() async throws -> (WireHarness, [String]) {
        let wire = try await WireHarness.smtp(fixture)
        #expect(try await wire.nextReply().hasPrefix("220 "))
        try await wire.send("EHLO client.example\r\n")
        var lines = [try await wire.nextLine()]
        while lines[lines.count - 1].hasPrefix("250-") { lines.append(try await wire.nextLine()) }
        return (wire, lines)
    }

    /// Greeted, EHLO, MAIL FROM and RCPT TO alice: ready for DATA.
    func smtpWithRecipient() async throws -> WireHarness {
        let (wire, _) = try await greetedSMTP()
        try await wire.send("MAIL FROM:<sender@example.net>\r\n")
        #expect(try await wire.nextReply().hasPrefix("250 "))
        try await wire.send("RCPT TO:<alice@test.example>\r\n")
        #expect(try await wire.nextReply().hasPrefix("250 "))
        return wire
    }

    // MARK: Nothing pipelined behind STARTTLS or STLS is executed (CVE-2011-0411)

    @Test func startTLSAloneStartsTLS() async throws {
        let (wire, ehlo) = try await greetedSMTP()
        #expect(ehlo.contains { $0.dropFirst(4) == "STARTTLS" })
        try await wire.send("STARTTLS\r\n")
        #expect(try await wire.nextReply().hasPrefix("220 "))
        #expect(try await wire.hasTLSHandler())
    }

    @Test func commandsPipelinedBehindStartTLSCloseTheConnectionUnexecuted() async throws {
        let (wire, _) = try await greetedSMTP()
        try await wire.send("STARTTLS\r\nMAIL FROM:<attacker@example.net>\r\n")
        try await wire.waitUntilClosed()
        // Neither the 220 (so no TLS over a poisoned buffer) nor an answer to MAIL.
        #expect(try await wire.unreadOutput() == "")
    }

    @Test func stlsAloneStartsTLS() async throws {
        let wire = try await WireHarness.pop3(fixture)
        #expect(try await wire.nextLine().hasPrefix("+OK"))
        try await wire.send("STLS\r\n")
        #expect(try await wire.nextLine().hasPrefix("+OK"))
        #expect(try await wire.hasTLSHandler())
    }

    @Test func commandsPipelinedBehindStlsCloseTheConnectionUnexecuted() async throws {
        let wire = try await WireHarness.pop3(fixture)
        #expect(try await wire.nextLine().hasPrefix("+OK"))
        try await wire.send("STLS\r\nUSER alice@test.example\r\n")
        try await wire.waitUntilClosed()
        #expect(try await wire.unreadOutput() == "")
    }

    // MARK: Backpressure

    @Test func whileALookupIsPendingNothingMoreIsReadAndRepliesKeepTheirOrder() async throws {
        let (wire, _) = try await greetedSMTP()
        try await wire.send("MAIL FROM:<sender@example.net>\r\n")
        #expect(try await wire.nextReply().hasPrefix("250 "))
        let lookupHeld = PoolGate(closing: fixture.lookupThreads)
        try await wire.send("RCPT TO:<alice@test.example>\r\nRCPT TO:<nobody@test.example>\r\nNOOP\r\n")
        let readsBefore = wire.readCounter.reads
        try await wire.requestRead()
        // Alice's lookup waits at the gate: the read request stays with the handler, and the
        // NOOP behind it, which needs no lookup, is not answered either.
        #expect(wire.readCounter.reads == readsBefore)
        #expect(try await wire.unreadOutput() == "")
        lookupHeld.open()
        #expect(try await wire.nextReply().hasPrefix("250 2.1.5"))
        #expect(try await wire.nextReply().hasPrefix("550 5.1.1"))
        #expect(try await wire.nextReply().hasPrefix("250 2.0.0"))
        #expect(wire.readCounter.reads == readsBefore + 1)
        try await wire.channel.close()
    }

    // MARK: Graceful shutdown

    @Test func shutdownDuringDataLetsTheMessageFinishThenSays421() async throws {
        let wire = try await smtpWithRecipient()
        try await wire.send("DATA\r\n")
        #expect(try await wire.nextReply().hasPrefix("354 "))
        try await wire.send("Subject: shutdown\r\n\r\nfirst part\r\n")
        try await wire.fire(ChannelShouldQuiesceEvent())
        #expect(try await wire.unreadOutput() == "")
        #expect(wire.channel.isActive)
        try await wire.send("second part\r\n.\r\n")
        #expect(try await wire.nextReply().hasPrefix("250 2.0.0"))
        #expect(try await wire.nextReply().hasPrefix("421 4.3.2"))
        try await wire.waitUntilClosed()
        let stored = fixture.aliceFiles("new")
        #expect(stored.count == 1)
        let path = "\(fixture.root)/mail/test.example/alice/new/\(stored.first ?? "")"
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("Subject: shutdown\n\nfirst part\nsecond part\n"))
    }

    @Test func shutdownClosesAnIdleSessionAtOnceWith421() async throws {
        let (wire, _) = try await greetedSMTP()
        try await wire.fire(ChannelShouldQuiesceEvent())
        #expect(try await wire.unreadOutput().hasPrefix("421 4.3.2"))
        try await wire.waitUntilClosed()
    }

    // MARK: Disconnects

    @Test func clientLeavingWhileASpillIsWrittenLeavesNothingBehind() async throws {
        let wire = try await smtpWithRecipient()
        try await wire.send("DATA\r\n")
        #expect(try await wire.nextReply().hasPrefix("354 "))
        // More than the 256 KiB that make the handler write buffered content to the spool file.
        let spill = ByteBuffer(string: String(repeating: "a line of content, one of many\r\n", count: 9000))
        try await wire.send(spill)
        try await HandlerFixture.drain(fixture.storageThreads)
        #expect(fixture.aliceFiles("tmp").count == 1, "the first spill is on disk")
        let storageHeld = PoolGate(closing: fixture.storageThreads)
        try await wire.send(spill)
        try await wire.channel.close()
        storageHeld.open()
        // Once the held spill has been written, only the discard can empty tmp/ again.
        try await HandlerFixture.drain(fixture.storageThreads)
        let mail = "\(fixture.root)/mail"
        try await waitFor("tmp/ to be emptied and its file closed") {
            fixture.aliceFiles("tmp").isEmpty && OpenDescriptors.under(mail).isEmpty
        }
        #expect(fixture.aliceFiles("new").isEmpty)
    }
}
