#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOSSL
import NIOTLS

/// What a connection learned about its TLS session, for the Received header and the logs.
struct TLSSessionInfo {
    var version: String?
    var cipher: String?

    /// "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256"
    var summary: String? {
        guard let version else { return nil }
        return "\(version) with cipher \(cipher ?? "unknown")"
    }

    /// Takes what a TLS user event tells; returns true when the handshake just completed.
    mutating func observe(_ event: Any, context: ChannelHandlerContext) -> Bool {
        if let negotiated = event as? TLSCipherNegotiated {
            cipher = negotiated.name
            return false
        }
        guard case .handshakeCompleted = event as? TLSUserEvent else { return false }
        let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
        acknowledgeImmediately(context.channel)
        switch handler?.tlsVersion {
        case .tlsv13?: version = "TLSv1.3"
        case .tlsv12?: version = "TLSv1.2"
        case .some(let other): version = "\(other)"
        case nil: version = "TLS"
        }
        return true
    }
}

/// After a TLS 1.3 handshake the server sends nothing until the client speaks, so the client's
/// Finished waits for the kernel's delayed ACK, and a client using Nagle's algorithm holds its
/// next command back for ~40 ms. TCP_QUICKACK sends that ACK at once.
private func acknowledgeImmediately(_ channel: any Channel) {
    #if os(Linux)
    let quickAck = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_QUICKACK)))
    _ = try? channel.syncOptions?.setOption(quickAck, value: 1)
    #endif
}
