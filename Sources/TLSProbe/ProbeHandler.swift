import NIOCore
import NIOSSL
import NIOTLS
import ProtocolSupport

/// Drives one probe connection: executes the actions of a `PreludeDialog`, then puts the TLS
/// client in front of itself, records the chain the server presents and completes the promise
/// once the handshake is done. All of it runs on the channel's event loop.
final class ProbeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case connecting
        case prelude(PreludeDialog)
        case handshake
        case done
    }

    private let target: ProbeTarget
    private let startTLS: StartTLSProtocol?
    private let serverName: String?
    private let tlsContext: NIOSSLContext
    private let deadline: NIODeadline
    /// The whole time allowed, for the message when it runs out.
    private let allowed: TimeAmount
    private let promise: EventLoopPromise<ProbeResult>
    private var phase = Phase.connecting
    private var chain: [[UInt8]] = []
    private var timeout: Scheduled<Void>?

    init(target: ProbeTarget, startTLS: StartTLSProtocol?, serverName: String?, tlsContext: NIOSSLContext,
         deadline: NIODeadline, allowed: TimeAmount, promise: EventLoopPromise<ProbeResult>) {
        self.target = target
        self.startTLS = startTLS
        self.serverName = serverName
        self.tlsContext = tlsContext
        self.deadline = deadline
        self.allowed = allowed
        self.promise = promise
    }

    /// What the connection waits for now, for error messages.
    private var waitingFor: String {
        switch phase {
        case .connecting: return "the connection"
        case .prelude(let dialog): return dialog.waitingFor
        case .handshake, .done: return "the TLS handshake"
        }
    }

    private var modeDescription: String { startTLS.map { "the \($0) dialog" } ?? "implicit TLS" }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            fail(ProbeError(.timeout, "no answer from \(target) within \(TLSProbe.seconds(allowed)) s (waiting for \(waitingFor))"), context: loopBound.value)
        }
        if let startTLS {
            phase = .prelude(PreludeDialog(protocol: startTLS, clientName: Self.ehloName(context.channel.localAddress)))
        } else {
            beginHandshake(context: context)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .prelude(var dialog) = phase else { return }  // after TLS: the reply to QUIT, ignored
        let action: PreludeDialog.Action
        do {
            action = try dialog.receive(unwrapInboundIn(data))
        } catch {
            fail(ProbeError(.prelude, "\(target): \(error)"), context: context)
            return
        }
        phase = .prelude(dialog)
        switch action {
        case .wait:
            break
        case .send(let line):
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: line + "\r\n")), promise: nil)
        case .startTLS:
            beginHandshake(context: context)
        }
    }

    /// Adds the cipher sniffer and the TLS client next to the socket, in this event-loop turn,
    /// so that the next bytes the server sends go to TLS (RFC 3207 §4.2).
    private func beginHandshake(context: ChannelHandlerContext) {
        phase = .handshake
        do {
            let sniffer = ServerHelloSniffer()
            let tls = try NIOSSLClientHandler(
                context: tlsContext, serverHostname: serverName,
                customVerificationCallback: { [self] certificates, verification in
                    // Accept and record: CertificateReport verifies with swift-certificates.
                    chain = certificates.compactMap { try? $0.toDERBytes() }
                    verification.succeed(.certificateVerified)
                })
            try context.pipeline.syncOperations.addHandler(sniffer, position: .first)
            try context.pipeline.syncOperations.addHandler(tls, position: .after(sniffer))
        } catch {
            fail(ProbeError(.handshake, "\(target): cannot start TLS: \(error)"), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .handshakeCompleted = event as? TLSUserEvent, case .handshake = phase else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let operations = context.pipeline.syncOperations
        let version = (try? operations.handler(type: NIOSSLClientHandler.self))?.tlsVersion
        let cipher = (try? operations.handler(type: ServerHelloSniffer.self))?.cipher
        guard !chain.isEmpty else {
            fail(ProbeError(.handshake, "\(target): the server presented no certificate"), context: context)
            return
        }
        phase = .done
        timeout?.cancel()
        promise.succeed(ProbeResult(chain: chain, tlsVersion: Self.name(version), cipher: cipher))
        if startTLS != nil {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: "QUIT\r\n")), promise: nil)
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch phase {
        case .handshake:
            fail(ProbeError(.handshake, "\(target): the TLS handshake failed: \(Self.describeTLSError(error))"), context: context)
        case .done:
            context.close(promise: nil)  // after the result: a close_notify missing is no matter
        case .connecting, .prelude:
            fail(ProbeError(.connect, "\(target): \(error)"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .done = phase {} else {
            fail(ProbeError(.closed, "\(target) closed the connection while \(modeDescription) waited for \(waitingFor)"), context: context)
        }
        timeout?.cancel()
        context.fireChannelInactive()
    }

    private func fail(_ error: ProbeError, context: ChannelHandlerContext) {
        if case .done = phase { return }
        phase = .done
        timeout?.cancel()
        promise.fail(error)
        context.close(promise: nil)
    }

    /// The EHLO argument: our address as an address literal (RFC 5321 §4.1.3), as we have no
    /// name the server could check.
    static func ehloName(_ address: SocketAddress?) -> String {
        switch address {
        case .v4?: return "[\(address?.ipAddress ?? "127.0.0.1")]"
        case .v6?: return "[IPv6:\(address?.ipAddress ?? "::1")]"
        default: return "[127.0.0.1]"
        }
    }

    static func name(_ version: TLSVersion?) -> String {
        switch version {
        case .tlsv13?: return "TLSv1.3"
        case .tlsv12?: return "TLSv1.2"
        case .tlsv11?: return "TLSv1.1"
        case .tlsv1?: return "TLSv1.0"
        case nil: return "TLS"
        }
    }

    /// BoringSSL's reasons, with a hint for the common one a probe meets.
    static func describeTLSError(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("PROTOCOL_VERSION") {
            return "the server offers no TLS version Tsubame accepts (1.2 or 1.3): \(text)"
        }
        if case NIOSSLError.uncleanShutdown = error { return "the server closed the connection during the handshake" }
        return text
    }
}

/// Reads the cipher suite from the first bytes the server sends after the handshake starts:
/// the ServerHello, which travels unencrypted in every TLS version.
final class ServerHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private(set) var cipher: String?
    private var seen: [UInt8] = []
    private var done = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !done {
            seen += unwrapInboundIn(data).readableBytesView.prefix(512 - seen.count)
            if let code = TLSServerHello.cipherSuite(in: seen) {
                cipher = TLSServerHello.name(ofCipherSuite: code)
                done = true
            } else if seen.count >= 512 {
                done = true
            }
        }
        context.fireChannelRead(data)
    }
}
