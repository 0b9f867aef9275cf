#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SMTPProtocol

/// What one transaction sends: the stored file (LF line ends, as the queue keeps it) after an
/// optional prefix (a DKIM signature later), dot-stuffed and CRLF-converted on the way out by
/// `DotStuffingEncoder`.
public struct OutboundContent: Sendable, Equatable {
    public var prefix: [UInt8]
    public var filePath: String
    /// Leave out the file's first field when it is `Return-Path:`: the server writes one at the
    /// top of every stored message for the Maildir, and RFC 5321 §4.4 has only the final
    /// delivery add it ("a message-originating SMTP system SHOULD NOT send a message that
    /// already contains a Return-path header field").
    public var omitsReturnPath: Bool

    public init(prefix: [UInt8] = [], filePath: String, omitsReturnPath: Bool = false) {
        self.prefix = prefix
        self.filePath = filePath
        self.omitsReturnPath = omitsReturnPath
    }
}

/// One SMTP client connection, driven by `SMTPClientSession`: connects, reads the greeting,
/// EHLO, STARTTLS (per policy, SNI, verification), AUTH for a smarthost; then runs any number
/// of transactions (RSET between, as the session does) until `quit`.
///
/// Under `may`, a TLS handshake that fails makes `open` connect again in plaintext (and log it).
/// Bytes behind the 220 to STARTTLS abort the connection (CVE-2011-0411's client side).
///
/// One call at a time: `deliver` and `close` are not meant to overlap (a second `deliver`
/// while one runs fails at once, deferred).
public final class SMTPClientConnection: Sendable {
    /// "mx.example.org[192.0.2.1]:25", for log lines and Remote-MTA.
    public let peerDescription: String
    /// The remote host's name as dialled (DeliveryHost.name).
    public let hostName: String
    /// "TLSv1.3", "TLSv1.2", or nil in plaintext: the log's tls= field.
    public var tlsVersion: String? { snapshot.withLockedValue { $0.tlsVersion } }
    /// True when the peer announced DSN (RFC 3461): otherwise NOTIFY=SUCCESS gets a "relayed" report.
    public var peerSupportsDSN: Bool { snapshot.withLockedValue { $0.peerSupportsDSN } }
    /// True while a further `deliver` may be tried on this connection.
    public var isReusable: Bool { snapshot.withLockedValue { $0.reusable && !$0.busy && !$0.closing } }

    /// Octets read from the file per piece: large enough for few thread-pool hops, small
    /// enough that a connection holds little memory however large the message.
    static let chunkSize = 64 * 1024

    private let channel: any Channel
    private let handler: NIOLoopBound<SMTPClientHandler>
    private let snapshot: NIOLockedValueBox<SMTPClientSnapshot>
    private let logger: Logger

    private init(channel: any Channel, handler: NIOLoopBound<SMTPClientHandler>,
                 snapshot: NIOLockedValueBox<SMTPClientSnapshot>, peerDescription: String, hostName: String,
                 logger: Logger) {
        self.channel = channel
        self.handler = handler
        self.snapshot = snapshot
        self.peerDescription = peerDescription
        self.hostName = hostName
        self.logger = logger
    }

    /// Connects to one address of `host` and brings the session to `.ready`. A failure carries
    /// the status the queue applies to every recipient (deferred for a refused connection, a
    /// timeout, a 4xx greeting, a TLS requirement not met; failed for a 5xx greeting).
    public static func open(host: DeliveryHost, address: String, configuration: SMTPClientConfiguration,
                            tls: OutboundTLS, group: any EventLoopGroup, connectTimeout: Duration,
                            logger: Logger) async -> Result<SMTPClientConnection, SMTPClientFailure> {
        await open(host: host, address: address, configuration: configuration, tls: tls, group: group,
                   connectTimeout: connectTimeout, logger: logger, timeoutLimit: nil)
    }

    /// `open` with every SMTP timeout capped at `timeoutLimit`, so tests need not wait minutes.
    static func open(host: DeliveryHost, address: String, configuration: SMTPClientConfiguration,
                     tls: OutboundTLS, group: any EventLoopGroup, connectTimeout: Duration,
                     logger: Logger, timeoutLimit: Duration?) async -> Result<SMTPClientConnection, SMTPClientFailure> {
        let first = await connect(host: host, address: address, configuration: configuration, tls: tls, group: group,
                                  connectTimeout: connectTimeout, logger: logger, timeoutLimit: timeoutLimit)
        // RFC 7435 §1.3: under opportunistic TLS a failed handshake is no reason not to deliver;
        // the next connection skips STARTTLS. Logged, as plaintext is a downgrade worth seeing.
        guard case .failure(let failure) = first, failure.retryWithoutTLS, configuration.tlsPolicy == .may else {
            return first
        }
        logger.warning("TLS handshake failed; sending in plaintext", metadata: [
            "host": "\(host.name)", "address": "\(address)", "port": "\(host.port)", "reason": "\(failure.reason)",
        ])
        var plaintext = configuration
        plaintext.tlsPolicy = .none
        return await connect(host: host, address: address, configuration: plaintext, tls: tls, group: group,
                             connectTimeout: connectTimeout, logger: logger, timeoutLimit: timeoutLimit)
    }

    private static func connect(host: DeliveryHost, address: String, configuration: SMTPClientConfiguration,
                                tls: OutboundTLS, group: any EventLoopGroup, connectTimeout: Duration,
                                logger: Logger, timeoutLimit: Duration?) async -> Result<SMTPClientConnection, SMTPClientFailure> {
        let peer = Self.describe(host: host.name, address: address, port: host.port)
        let eventLoop = group.next()
        let opened = eventLoop.makePromise(of: SMTPClientStep.self)
        let snapshot = NIOLockedValueBox(SMTPClientSnapshot())
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if configuration.tlsActiveFromStart {
                        // RFC 8314 §3.3: TLS from the first byte; the greeting comes inside it.
                        // The session counts on it (AUTH), so even `none` gets it here.
                        let policy: SMTPClientTLSPolicy = configuration.tlsPolicy == .verify ? .verify : .encrypt
                        try operations.addHandler(tls.makeHandler(policy: policy, hostName: host.name))
                    }
                    try operations.addHandler(SMTPClientHandler(
                        configuration: configuration, tls: tls, hostName: host.name, snapshot: snapshot,
                        timeoutLimit: timeoutLimit, opened: opened))
                }
            }
        let channel: any Channel
        do {
            let unbracketed = address.hasPrefix("[") && address.hasSuffix("]") ? String(address.dropFirst().dropLast()) : address
            if let socketAddress = try? SocketAddress(ipAddress: unbracketed, port: host.port) {
                channel = try await bootstrap.connect(to: socketAddress).get()
            } else {
                channel = try await bootstrap.connect(host: unbracketed, port: host.port).get()
            }
        } catch {
            opened.succeed(.closed(nil))  // nobody waits; the promise must not leak
            return .failure(SMTPClientFailure(status: .deferred, reason: "cannot connect to \(peer): \(Self.connectFailureText(error))",
                                              enhancedCode: "4.4.1"))
        }
        let step: SMTPClientStep
        do {
            step = try await opened.futureResult.get()
        } catch {
            step = .closed(SMTPClientFailure(status: .deferred, reason: "\(error)", enhancedCode: "4.4.2"))
        }
        guard step == .ready else {
            try? await channel.close()
            guard case .closed(let failure?) = step else {
                return .failure(SMTPClientFailure(status: .deferred, reason: "\(peer) closed the connection", enhancedCode: "4.4.2"))
            }
            return .failure(failure)
        }
        let handler: NIOLoopBound<SMTPClientHandler>
        do {
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self), eventLoop: channel.eventLoop)
            }.get()
        } catch {
            try? await channel.close()
            return .failure(SMTPClientFailure(status: .deferred, reason: "\(peer) closed the connection", enhancedCode: "4.4.2"))
        }
        return .success(SMTPClientConnection(channel: channel, handler: handler, snapshot: snapshot,
                                             peerDescription: peer, hostName: host.name, logger: logger))
    }

    /// "name[address]:port"; just "[address]:port" when the name is the address.
    static func describe(host: String, address: String, port: Int) -> String {
        let bare = address.hasPrefix("[") ? String(address.dropFirst().dropLast()) : address
        let name = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return (name == bare ? "" : host) + "[\(bare)]:\(port)"
    }

    // MARK: transactions

    /// One transaction. Recipient results in the order given; a lost connection or a timeout
    /// is a failure (then the connection is closed and must not be reused).
    public func deliver(_ message: SMTPOutboundMessage, content: OutboundContent) async
        -> Result<[SMTPRecipientResult], SMTPClientFailure> {
        let claimed = snapshot.withLockedValue { state -> Bool in
            guard !state.busy, !state.closing else { return false }
            state.busy = true
            return true
        }
        guard claimed else {
            return .failure(SMTPClientFailure(status: .deferred, reason: "the connection is busy or closing", enhancedCode: "4.3.0"))
        }
        defer { snapshot.withLockedValue { $0.busy = false } }

        // Opened, and its first piece read, before any command: a queue file that cannot be
        // read costs nothing on the wire, and the connection stays usable.
        let file: ContentFile
        let first: ContentFile.Piece
        do {
            (file, first) = try await ContentFile.open(content.filePath, omittingReturnPath: content.omitsReturnPath,
                                                       firstPieceUpTo: Self.chunkSize, allocator: channel.allocator)
        } catch {
            return .failure(SMTPClientFailure(status: .deferred, reason: "cannot read the queued message: \(error)",
                                              enhancedCode: "4.3.0"))
        }
        defer { file.close() }

        var step = await call { $0.start(message) }
        if step == .sendContent {
            step = await stream(content.prefix, first: first, file: file)
        }
        switch step {
        case .finished(let results):
            return .success(results)
        case .closed(let failure):
            return .failure(failure ?? SMTPClientHandler.notConnected)
        case .ready, .sendContent:
            return .failure(SMTPClientFailure(status: .deferred, reason: "the session got out of step", enhancedCode: "4.5.0"))
        }
    }

    /// Writes the content (RFC 5321 §4.1.1.4) piece by piece: the next piece is read from the
    /// file while the last one is being written, and written only once that write is done,
    /// so a slow server holds back the reading and memory stays at a few pieces. The last
    /// piece goes out with the end marker in one write: a message of one piece costs one
    /// write and one trip to the event loop.
    private func stream(_ prefix: [UInt8], first: ContentFile.Piece, file: ContentFile) async -> SMTPClientStep {
        var encoder = DotStuffingEncoder()
        var inFlight: EventLoopFuture<Void>?
        var piece = first
        do {
            var output = channel.allocator.buffer(capacity: Self.encodedCapacity(prefix.count + piece.bytes.readableBytes))
            if !prefix.isEmpty { encoder.encode(ByteBuffer(bytes: prefix), into: &output) }
            encoder.encode(piece.bytes, into: &output)
            while !piece.isLast {
                piece = try await file.read(upTo: Self.chunkSize, allocator: channel.allocator)
                try await inFlight?.get()
                inFlight = write(output)
                output = channel.allocator.buffer(capacity: Self.encodedCapacity(piece.bytes.readableBytes))
                encoder.encode(piece.bytes, into: &output)
            }
            encoder.finish(into: &output)
            try await inFlight?.get()
            let last = output
            return await call { $0.finishContent(last) }
        } catch let error as ContentFile.ReadError {
            return await call { $0.abandonContent("cannot read the queued message: \(error)") }
        } catch {
            // The write failed: the connection is gone or going; the session says why.
            _ = try? await inFlight?.get()
            return await call { $0.abandonContent("the connection failed while sending the content: \(error)") }
        }
    }

    /// Room for `count` stored octets once CRLF-converted and dot-stuffed, and the end marker.
    private static func encodedCapacity(_ count: Int) -> Int { count + count / 16 + 16 }

    private func write(_ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let handler = handler
        return channel.eventLoop.flatSubmit { handler.value.writeContent(buffer) }
    }

    /// Runs `body` on the event loop and waits for the step it leads to.
    private func call(_ body: @escaping @Sendable (SMTPClientHandler) -> EventLoopFuture<SMTPClientStep>) async -> SMTPClientStep {
        let handler = handler
        do {
            return try await channel.eventLoop.flatSubmit { body(handler.value) }.get()
        } catch {
            return .closed(SMTPClientFailure(status: .deferred, reason: "\(error)", enhancedCode: "4.4.2"))
        }
    }

    // MARK: closing

    /// QUIT and close (bounded by a short timeout); safe to call twice or after a failure.
    public func close() async {
        let first = snapshot.withLockedValue { state -> Bool in
            defer { state.closing = true }
            return !state.closing
        }
        if first {
            let step = await call { $0.quit() }
            if case .closed(let failure?) = step {
                logger.debug("SMTP connection ended", metadata: ["peer": "\(peerDescription)", "reason": "\(failure.reason)"])
            }
        }
        try? await channel.close()
        try? await channel.closeFuture.get()
    }
}

extension SMTPClientConnection {
    /// "connection refused" rather than NIO's "connection reset (error set): Connection refused)
    /// (errno: 111)": the errno's own text, for the log and the DSN.
    static func connectFailureText(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first {
            return connectFailureText(first.error)
        }
        if error is ChannelError, case .connectTimeout = error as! ChannelError { return "connection timed out" }
        return "\(error)"
    }
}
