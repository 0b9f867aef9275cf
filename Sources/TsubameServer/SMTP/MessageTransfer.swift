#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import MailAuthentication
import MailQueue
import MaildirStore
import NIOCore
import SMTPProtocol
import TsubameConfig

/// The message being received on one connection: its decoder, the content not yet spooled,
/// and the store's `IncomingMessage`. Lives on the connection's event loop.
///
/// A submission (an authenticated session) also scans the header as it arrives: the header
/// From is checked at the end, and a missing Message-ID or Date is added (RFC 6409 §8) in the
/// prefix written before the content. That prefix is fixed when the spool file is created, so
/// the store's message is begun at the first spill or at the commit, after the header: the
/// scanner's limit is below the spill threshold, so the header is known by then.
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
    private let store: MaildirStore
    private let name: MaildirName
    private var trace: TraceHeaders
    private let plan: DeliveryPlan
    private var begunMessage: IncomingMessage?
    private var spillFailure: (any Error)?
    /// Only for submissions.
    private var headerScanner: SubmissionHeaderScanner?
    private let hostname: String
    /// The logged-in account of a submission, for the log (as Postfix's `sasl_username=`).
    private let account: String?
    /// Header fields and body hashes for DKIM: signing a submission, verifying mail from
    /// other servers. nil when neither is on.
    private var dkimScanner: DKIMContentScanner?
    /// Authentication-Results fields claiming our authserv-id come out of the header before
    /// the first piece is written (RFC 8601 §5); nil: nothing to remove.
    private let ownAuthservID: String?
    private var headerFiltered = false
    /// Fields known only at the end (Authentication-Results), added below the Return-Path.
    var addedHeaderFields = ""
    /// Sent above the queued copy only (DKIM signatures).
    var queueHeaderPrefix: [UInt8]?

    init(envelope: SMTPEnvelope<ResolvedRecipient>, greeting: SMTPSession<ResolvedRecipient>.Greeting,
         protocolName: String, clientAddress: String, tls: String?, config: TsubameConfiguration, store: MaildirStore,
         framing: MessageContentDecoder.Framing, allocator: ByteBufferAllocator, account: String? = nil,
         dkim: DKIMContentScanner.Purpose? = nil, ownAuthservID: String? = nil, srs: SRSRewriter? = nil) {
        self.account = account
        self.dkimScanner = dkim.map { DKIMContentScanner(purpose: $0) }
        self.ownAuthservID = ownAuthservID
        self.envelope = envelope
        self.clientAddress = clientAddress
        self.clientName = greeting.name
        self.protocolName = protocolName
        self.allocator = allocator
        self.decoder = MessageContentDecoder(framing: framing, maximumSize: config.smtp.maxMessageSize)
        self.content = allocator.buffer(capacity: 16 * 1024)
        let name = MaildirName.make(hostname: config.hostname)
        self.id = name.id
        self.name = name
        self.store = store
        self.hostname = config.hostname
        self.trace = TraceHeaders(
            reversePath: envelope.reversePath, clientName: greeting.name, clientAddress: clientAddress,
            serverName: config.hostname, protocolName: protocolName, id: name.id,
            singleRecipient: envelope.recipients.count == 1 ? envelope.recipients[0].address : nil,
            date: RFC5322Date.format(secondsSince1970: Int(time(nil))), tls: tls, utf8: envelope.smtputf8)
        var plan = Self.plan(for: envelope, account: account)
        // Forwarding mail from another server to remote alias targets: the next hop checks SPF
        // against our address, so the envelope sender becomes an SRS address in our domain.
        if account == nil, let srs, !plan.remoteRecipients.isEmpty { plan.reversePath = srs.forward(plan.reversePath) }
        self.plan = plan
        self.headerScanner = account != nil ? SubmissionHeaderScanner() : nil
    }

    /// The store's message, begun with the prefix once the header is known.
    private var message: IncomingMessage {
        if let begunMessage { return begunMessage }
        if var scanner = headerScanner {
            scanner.finish()  // what was not seen by now is not part of the header we check
            headerScanner = scanner
            // RFC 6409 §8.3 and §8.1: the submission server adds what the client left out.
            if !scanner.hasMessageID { trace.addedMessageID = "<\(name.id)@\(hostname)>" }
            if !scanner.hasDate { trace.addedDate = trace.date }
        }
        let message = store.beginMessage(name: name, traceHeaders: trace.rendered, plan: plan)
        begunMessage = message
        return message
    }

    /// The header From's addresses of a submission; nil when they cannot be read (or the
    /// header is too large to check).
    var headerFromAddresses: [String]? {
        guard var scanner = headerScanner else { return [] }
        scanner.finish()
        return scanner.fromAddresses
    }

    /// Every local mailbox once, every remote alias target once, whatever the RCPTs overlap.
    ///
    /// DSN parameters (RFC 3461) go to the queue with each remote recipient: its NOTIFY in the
    /// canonical text and its ORCPT as received, both from the RCPT it came from (the first,
    /// when RCPTs overlap). A remote alias target keeps the RCPT's NOTIFY and ORCPT: the ORCPT
    /// names the address the sender used, which is what a DSN must show. Without ORCPT it stays
    /// nil: the scheduler fills "rfc822;addr" itself when it passes the recipient on.
    /// Local mailboxes ignore DSN parameters for now: NOTIFY=SUCCESS on a local delivery would
    /// deserve a "delivered" DSN (RFC 3461 §6.2), and an alias expanding to several addresses
    /// an "expanded" one; both are left for later.
    static func plan(for envelope: SMTPEnvelope<ResolvedRecipient>, account: String? = nil) -> DeliveryPlan {
        var mailboxes: [LocalMailbox] = []
        var remote: [NewQueuedRecipient] = []
        var seenMailboxes = Set<LocalMailbox>()
        var seenRemote = Set<String>()
        for recipient in envelope.recipients {
            for mailbox in recipient.destination.mailboxes where seenMailboxes.insert(mailbox).inserted {
                mailboxes.append(mailbox)
            }
            for address in recipient.destination.remoteAddresses where seenRemote.insert(address.lowercased()).inserted {
                remote.append(NewQueuedRecipient(address: address,
                                                 originalRecipient: recipient.dsn.originalRecipient?.parameterValue,
                                                 notify: recipient.dsn.notify?.parameterValue))
            }
        }
        let sender: String
        switch envelope.reversePath {
        case .null: sender = ""
        case .mailbox(let mailbox): sender = mailbox.description
        }
        return DeliveryPlan(mailboxes: mailboxes, remoteRecipients: remote, reversePath: sender,
                            needs8BitMIME: envelope.bodyType != .sevenBit, needsSMTPUTF8: envelope.smtputf8,
                            submittingAccount: account, envelopeID: envelope.envelopeID,
                            returnContent: envelope.dsnReturn.map(Self.returnContent))
    }

    /// The SMTP core's RET as the queue stores it; both spell RFC 3461 §4.3.
    private static func returnContent(_ ret: DSNReturn) -> ReturnContent {
        switch ret {
        case .full: return .full
        case .headers: return .headers
        }
    }

    var problems: MessageContentDecoder.Problems { decoder.problems }
    var bufferedBytes: Int { content.readableBytes }

    func decodeDotTerminated(_ input: inout ByteBuffer) -> Bool {
        let start = content.writerIndex
        let ended = decoder.decodeDotTerminated(&input, into: &content)
        scanHeader(from: start)
        scanForDKIM(from: start)
        return ended
    }

    func decodeChunk(_ input: inout ByteBuffer, limit: Int) -> Int {
        let start = content.writerIndex
        let consumed = decoder.decodeChunk(&input, limit: limit, into: &content)
        scanHeader(from: start)
        scanForDKIM(from: start)
        return consumed
    }

    func finishChunks() {
        let start = content.writerIndex
        decoder.finishChunks()
        scanHeader(from: start)
        scanForDKIM(from: start)
    }

    /// Feeds what the decoder just produced to the DKIM scanner.
    private func scanForDKIM(from start: Int) {
        guard dkimScanner != nil, content.writerIndex > start, decoder.problems.isEmpty else { return }
        content.withUnsafeReadableBytes { bytes in
            dkimScanner!.scan(UnsafeRawBufferPointer(rebasing: bytes[(start - content.readerIndex)...]))
        }
    }

    /// The header fields and body hashes, once the content is complete. Call once.
    func finishDKIMScan() -> ScannedMessage? {
        guard var scanner = dkimScanner else { return nil }
        dkimScanner = nil
        return scanner.finish()
    }

    /// A submission's message as the next hop will see it, for signing: the fields we add
    /// above the content (Message-ID, Date) included. Begins the store's message, which fixes them.
    func messageForSigning() -> ScannedMessage? {
        guard var scanned = finishDKIMScan() else { return nil }
        _ = message
        let added = [trace.addedMessageID.map { "Message-ID: \($0)\n" }, trace.addedDate.map { "Date: \($0)\n" }]
        scanned.headerFields.insert(contentsOf: added.compactMap { $0.flatMap(MessageHeaderField.init(text:)) }, at: 0)
        return scanned
    }

    /// True when the message has recipients the queue will send on (signing is for them).
    var hasRemoteRecipients: Bool { !plan.remoteRecipients.isEmpty }

    /// Removes Authentication-Results fields that claim to be ours from the first piece
    /// written: the header is in it (the header scanners stop well below the spill threshold).
    private func filterOwnAuthenticationResults(_ piece: ByteBuffer) -> ByteBuffer {
        guard let ownAuthservID, !headerFiltered else { return piece }
        headerFiltered = true
        return HeaderFieldRemoval.removingFields(from: piece, named: "Authentication-Results") { value in
            AuthenticationResultsField.claims(authservID: ownAuthservID, fieldValue: value)
        } ?? piece
    }

    /// Feeds what the decoder just produced to the header scanner, until the header is over.
    private func scanHeader(from start: Int) {
        guard var scanner = headerScanner, !scanner.isComplete, content.writerIndex > start else { return }
        content.withUnsafeReadableBytes { bytes in
            let offset = start - content.readerIndex
            scanner.scan(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
        headerScanner = scanner
    }

    /// Writes the buffered content to the spool file. A rejected message (a decoder problem)
    /// is not written at all.
    func spill(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let piece = filterOwnAuthenticationResults(content)
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
        let rest = filterOwnAuthenticationResults(content)
        content = ByteBuffer()
        // On failure commit removes the spool file itself.
        return message.commit(rest, addedHeaderFields: addedHeaderFields, queueHeaderPrefix: queueHeaderPrefix, on: eventLoop)
    }

    /// Drops the message; the future completes once the spool file is gone.
    @discardableResult
    func discard(on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        content = ByteBuffer()
        guard let begunMessage else { return eventLoop.makeSucceededVoidFuture() }
        return begunMessage.discard(on: eventLoop)
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
        if let account { metadata["sasl_username"] = "\(account)" }
        metadata["result"] = "\(result)"
        return metadata
    }
}
