import NIOCore
import NIOSSL
import ProtocolSupport

/// Sent inbound when the server's ServerHello has gone out: the cipher suite it chose.
struct TLSCipherNegotiated: Sendable {
    var name: String
}

/// Sits between the socket and NIOSSL and reads the cipher suite from the ServerHello, the
/// first record the server writes; then it only passes bytes through.
final class TLSCipherSniffer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var done = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !done {
            let bytes = unwrapOutboundIn(data)
            if let code = TLSServerHello.cipherSuite(in: bytes.readableBytesView) {
                done = true
                let event = TLSCipherNegotiated(name: TLSServerHello.name(ofCipherSuite: code))
                // Not from inside NIOSSL's write: deliver it on the next turn of the loop.
                context.eventLoop.assumeIsolated().execute { context.fireUserInboundEventTriggered(event) }
            }
        }
        context.write(data, promise: promise)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Puts TLS in front of everything: the sniffer next to the socket, then NIOSSL.
    func addServerTLS(_ tlsContext: NIOSSLContext) throws {
        let sniffer = TLSCipherSniffer()
        try addHandler(sniffer, position: .first)
        try addHandler(NIOSSLServerHandler(context: tlsContext), position: .after(sniffer))
    }
}
