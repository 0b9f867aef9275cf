#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import MaildirStore
import NIOCore
import SMTPProtocol
import TsubameConfig

/// The message being received on one connection: its decoder, the content not yet spooled,
/// and the store's `IncomingMessage`. Lives on the connection's event loop.
final class MessageTransfer {
    let id: String
    private let envelope: SMTPEnvelope<ResolvedRecipient>
    private let clientAddress: String
    /// The EHLO/HELO name, for the log (escaped there: the client chose it).
    private let clientName: String
    private let protocolName: String
    private var decoder: MessageContentDecoder
    private var content: ByteBuffer
    private let allocator: ByteBufferAllocator
    private let message: IncomingMessage
    private var spillFailure: (any Error)?

    init(envelope: SMTPEnvelope<ResolvedRecipient>, greeting: SMTPSession<ResolvedRecipient>.Greeting,
         protocolName: String, clientAddress: String, tls: String?, config: TsubameConfiguration, store: MaildirStore,
         framing: MessageContentDecoder.Framing, allocator: ByteBufferAllocator) {
        self.envelope = envelope
        self.clientAddress = clientAddress
        self.clientName = greeting.name
        self.protocolName = protocolName
        self.allocator = allocator
        self.decoder = MessageContentDecoder(framing: framing, maximumSize: config.smtp.maxMessageSize)
        self.content = allocator.buffer(capacity: 16 * 1024)
        let name = MaildirName.make(hostname: config.hostname)
        self.id = name.id
        let trace = TraceHeaders(
            reversePath: envelope.reversePath, clientName: greeting.name, clientAddress: clientAddress,
            serverName: config.hostname, protocolName: protocolName, id: name.id,
            singleRecipient: envelope.recipients.count == 1 ? envelope.recipients[0].address : nil,
            date: RFC5322Date.format(secondsSince1970: Int(time(nil))), tls: tls, utf8: envelope.smtputf8)
        self.message = store.beginMessage(name: name, traceHeaders: trace.rendered, plan: Self.plan(for: envelope))
    }

    /// Every local mailbox once, every remote alias target once, whatever the RCPTs overlap.
    static func plan(for envelope: SMTPEnvelope<ResolvedRecipient>) -> DeliveryPlan {
        var mailboxes: [LocalMailbox] = []
        var remote: [String] = []
        var seenMailboxes = Set<LocalMailbox>()
        var seenRemote = Set<String>()
        for recipient in envelope.recipients {
            for mailbox in recipient.destination.mailboxes where seenMailboxes.insert(mailbox).inserted {
                mailboxes.append(mailbox)
            }
            for address in recipient.destination.remoteAddresses where seenRemote.insert(address.lowercased()).inserted {
                remote.append(address)
            }
        }
        let sender: String
        switch envelope.reversePath {
        case .null: sender = ""
        case .mailbox(let mailbox): sender = mailbox.description
        }
        return DeliveryPlan(mailboxes: mailboxes, remoteRecipients: remote, reversePath: sender)
    }

    var problems: MessageContentDecoder.Problems { decoder.problems }
    var bufferedBytes: Int { content.readableBytes }

    func decodeDotTerminated(_ input: inout ByteBuffer) -> Bool {
        decoder.decodeDotTerminated(&input, into: &content)
    }

    func decodeChunk(_ input: inout ByteBuffer, limit: Int) -> Int {
        decoder.decodeChunk(&input, limit: limit, into: &content)
    }

    func finishChunks() { decoder.finishChunks() }

    /// Writes the buffered content to the spool file. A rejected message (a decoder problem)
    /// is not written at all.
    func spill(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let piece = content
        content = allocator.buffer(capacity: 16 * 1024)
        guard decoder.problems.isEmpty, spillFailure == nil else { return eventLoop.makeSucceededVoidFuture() }
        return message.write(piece, on: eventLoop).assumeIsolated().flatMapErrorThrowing { error in
            self.spillFailure = error
        }.nonisolated()
    }

    func commit(on eventLoop: any EventLoop) -> EventLoopFuture<String> {
        if let spillFailure {
            message.discard(on: eventLoop)
            return eventLoop.makeFailedFuture(spillFailure)
        }
        let rest = content
        content = ByteBuffer()
        // On failure commit removes the spool file itself.
        return message.commit(rest, on: eventLoop)
    }

    /// Drops the message; the future completes once the spool file is gone.
    @discardableResult
    func discard(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        content = ByteBuffer()
        return message.discard(on: eventLoop)
    }

    /// The maillog line's fields; never the content.
    func logMetadata(result: String) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "id": "\(id)",
            "from": "\(envelope.reversePath)",
            "to": "\(envelope.recipients.map { "<\($0.address)>" }.joined(separator: ","))",
            "size": "\(decoder.size)",
            "proto": "\(protocolName)",
            "helo": "\(clientName)",
        ]
        metadata["result"] = "\(result)"
        return metadata
    }
}
