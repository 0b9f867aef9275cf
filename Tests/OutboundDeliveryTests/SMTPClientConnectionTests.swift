import Foundation
@testable import OutboundDelivery
import SMTPProtocol
import Testing

/// The client's NIO glue against real peers (aiosmtpd, and raw asyncio for misbehaviour).
@Suite(.serialized) struct SMTPClientConnectionTests {
    typealias F = ClientFixture

    static func connect(_ peer: SMTPPeer, _ configuration: SMTPClientConfiguration = F.configuration(),
                        tls: OutboundTLS? = nil) async throws -> SMTPClientConnection {
        try await F.open(peer.host, configuration, tls: tls ?? OutboundTLS(caFile: nil)).get()
    }

    @Test func deliversToAnAcceptingPeer() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        #expect(connection.isReusable)
        #expect(connection.tlsVersion == nil)
        // aiosmtpd does not implement RFC 3461.
        #expect(!connection.peerSupportsDSN)
        #expect(connection.peerDescription == "localhost[127.0.0.1]:\(peer.port)")
        let results = try await connection.deliver(F.message(to: ["bob@b.example", "carol@b.example"]),
                                                   content: F.contentFile(F.simpleContent)).get()
        #expect(results.map(\.status) == [.delivered, .delivered])
        #expect(results.map(\.recipient) == [F.mailbox("bob@b.example"), F.mailbox("carol@b.example")])
        #expect(results.allSatisfy { $0.remote && $0.reply.code == 250 })
        await connection.close()
        let messages = try peer.messages()
        #expect(messages.count == 1)
        #expect(messages.first?.mailFrom == "alice@a.example")
        #expect(messages.first?.recipients == ["bob@b.example", "carol@b.example"])
        #expect(messages.first?.data == F.wire(F.simpleContent))
    }

    @Test func reportsEachRecipientsReply() async throws {
        let peer = try SMTPPeer(mode: "mixed")
        let connection = try await Self.connect(peer)
        let results = try await connection.deliver(
            F.message(to: ["defer-me@b.example", "reject-me@b.example", "ok@b.example"]),
            content: F.contentFile(F.simpleContent)).get()
        #expect(results.map(\.status) == [.deferred, .failed, .delivered])
        #expect(results.map(\.reply.code) == [450, 550, 250])
        #expect(results[1].reply.enhanced == "5.1.1")
        #expect(connection.isReusable)
        await connection.close()
        #expect(try peer.messages().map(\.recipients) == [["ok@b.example"]])
    }

    @Test func a552ToTheFinalDotFailsTheAcceptedRecipients() async throws {
        let peer = try SMTPPeer(mode: "reject-data")
        let connection = try await Self.connect(peer)
        let results = try await connection.deliver(F.message(to: ["bob@b.example", "carol@b.example"]),
                                                   content: F.contentFile(F.simpleContent)).get()
        #expect(results.map(\.status) == [.failed, .failed])
        #expect(results.allSatisfy { $0.reply.code == 552 && $0.remote })
        #expect(connection.isReusable)
        await connection.close()
    }

    @Test func a421GreetingDefers() async throws {
        let peer = try SMTPPeer(mode: "greet421")
        let result = await F.open(peer.host, F.configuration(), tls: try OutboundTLS(caFile: nil))
        guard case .failure(let failure) = result else {
            Issue.record("a 421 greeting opened a connection")
            return
        }
        #expect(failure.status == .deferred)
        #expect(failure.reply?.code == 421, "\(failure)")
    }

    @Test func aSilentServerTimesOut() async throws {
        let peer = try SMTPPeer(mode: "silent")
        let started = ContinuousClock.now
        let result = await F.open(peer.host, F.configuration(), tls: try OutboundTLS(caFile: nil), timeoutLimit: .seconds(2))
        guard case .failure(let failure) = result else {
            Issue.record("a server that never greets opened a connection")
            return
        }
        #expect(failure.status == .deferred)
        #expect(failure.enhancedCode == "4.4.2")
        // Minutes, not seconds, if the limit were not applied; generous for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func aRefusedConnectionDefers() async throws {
        // A port nobody listens on: one the peer had, after it stopped.
        let peer = try SMTPPeer(mode: "accept")
        let host = peer.host
        peer.stop()
        let result = await F.open(host, F.configuration(), tls: try OutboundTLS(caFile: nil))
        guard case .failure(let failure) = result else {
            Issue.record("connected to a closed port")
            return
        }
        #expect(failure.status == .deferred)
        #expect(failure.enhancedCode == "4.4.1")
    }

    @Test func reusesTheConnectionWithRSETBetweenTransactions() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        let first = try await connection.deliver(F.message(to: ["bob@b.example"]), content: F.contentFile(F.simpleContent))
        #expect(try first.get().map(\.status) == [.delivered])
        #expect(connection.isReusable)
        let secondContent = Array("Subject: second\n\nagain\n".utf8)
        let second = try await connection.deliver(F.message(to: ["carol@b.example"], from: "dave@a.example"),
                                                  content: F.contentFile(secondContent))
        #expect(try second.get().map(\.status) == [.delivered])
        await connection.close()
        let messages = try peer.messages()
        #expect(messages.count == 2)
        #expect(Set(messages.map(\.connection)).count == 1)
        #expect(messages.map(\.mailFrom) == ["alice@a.example", "dave@a.example"])
        #expect(messages.last?.data == F.wire(secondContent))
        #expect(try peer.events("rset").count == 1)
    }

    @Test func reusesAPipeliningConnectionAfterRefusals() async throws {
        let peer = try SMTPPeer(mode: "mixed")
        let connection = try await Self.connect(peer)
        // Nobody accepted: RFC 2920 §3.1, the DATA reply is still read, and the connection stays usable.
        let refused = try await connection.deliver(F.message(to: ["reject-a@b.example", "defer-b@b.example"]),
                                                   content: F.contentFile(F.simpleContent)).get()
        #expect(refused.map(\.status) == [.failed, .deferred])
        #expect(connection.isReusable)
        let accepted = try await connection.deliver(F.message(to: ["ok@b.example"]), content: F.contentFile(F.simpleContent)).get()
        #expect(accepted.map(\.status) == [.delivered])
        await connection.close()
        #expect(try peer.messages().map(\.recipients) == [["ok@b.example"]])
        #expect(try peer.events("rset").count == 1)
    }

    @Test func sendsTheContentByteExact() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        // Dots at line starts (one alone, as the end marker would be), an 8-bit line, no final newline.
        let stored = Array("Subject: dots\n\n.\n.leading dot\n..two dots\nnot . at start\n".utf8)
            + [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x0A] + Array(".last line without newline".utf8)
        let results = try await connection.deliver(F.message(to: ["bob@b.example"], bodyType: .eightBitMIME),
                                                   content: F.contentFile(stored)).get()
        #expect(results.map(\.status) == [.delivered])
        await connection.close()
        #expect(try peer.messages().first?.data == F.wire(stored))
    }

    @Test func streamsALargeMessageAcrossChunks() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        // Several 64 KiB pieces, with dotted lines and line ends falling on piece boundaries.
        var stored = Array("Subject: large\n\n".utf8)
        var line = 0
        while stored.count < 300_000 {
            stored += Array((line % 3 == 0 ? ".line \(line) " : "line \(line) ").utf8)
                + Array(repeating: UInt8(ascii: "x"), count: line % 97) + [0x0A]
            line += 1
        }
        let results = try await connection.deliver(F.message(to: ["bob@b.example"], size: stored.count + line),
                                                   content: F.contentFile(stored)).get()
        #expect(results.map(\.status) == [.delivered])
        await connection.close()
        #expect(try peer.messages().first?.data == F.wire(stored))
    }

    @Test func sendsFilesEndingAtAndAroundPieceBoundaries() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        // The first piece is read with the open, the last goes out with the end marker: a file
        // that ends exactly at a piece's end needs one more read to learn it is over.
        let piece = SMTPClientConnection.chunkSize
        let sizes = [piece - 1, piece, piece + 1, 2 * piece]
        var sent: [[UInt8]] = []
        for size in sizes {
            let header = Array("Subject: \(size)\n\n".utf8)
            var stored = header
            while stored.count < size {
                stored += Array((stored.count % 5 == 0 ? ".dotted" : "text").utf8) + [0x0A]
            }
            stored = Array(stored.prefix(size - 1)) + [0x0A]
            let results = try await connection.deliver(F.message(to: ["bob@b.example"], size: stored.count * 2),
                                                       content: F.contentFile(stored)).get()
            #expect(results.map(\.status) == [.delivered])
            sent.append(stored)
        }
        await connection.close()
        #expect(try peer.messages().map(\.data) == sent.map(F.wire))
    }

    @Test func sendsThePrefixBeforeTheFile() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        var content = try F.contentFile(F.simpleContent)
        content.prefix = Array("DKIM-Signature: v=1; a=rsa-sha256\n".utf8)
        _ = try await connection.deliver(F.message(to: ["bob@b.example"]), content: content).get()
        await connection.close()
        #expect(try peer.messages().first?.data == F.wire(content.prefix + F.simpleContent))
    }

    @Test func anUnreadableFileCostsNothingOnTheWire() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        let result = await connection.deliver(F.message(to: ["bob@b.example"]),
                                              content: OutboundContent(filePath: "/nonexistent/queue/file"))
        guard case .failure(let failure) = result else {
            Issue.record("delivered a file that does not exist")
            return
        }
        #expect(failure.status == .deferred)
        #expect(connection.isReusable)
        let next = try await connection.deliver(F.message(to: ["bob@b.example"]), content: F.contentFile(F.simpleContent))
        #expect(try next.get().map(\.status) == [.delivered])
        await connection.close()
    }

    @Test func closeIsIdempotent() async throws {
        let peer = try SMTPPeer(mode: "accept")
        let connection = try await Self.connect(peer)
        await connection.close()
        #expect(!connection.isReusable)
        await connection.close()
        let after = await connection.deliver(F.message(to: ["bob@b.example"]), content: try F.contentFile(F.simpleContent))
        #expect((try? after.get()) == nil)
        #expect(try peer.messages().isEmpty)
    }
}
