import NIOCore
import NIOExtras
import NIOPosix
import TsubameConfig

/// A bound listening socket and the helper that quiesces its connections.
struct BoundListener {
    let name: ListenerName
    let channel: any Channel
    let quiescing: ServerQuiescingHelper
}

enum Listener {
    /// Binds `address`; every accepted connection gets the handler `makeHandler` creates.
    /// With `implicitTLS`, TLS starts with the connection (RFC 8314), on the context current
    /// at accept time.
    static func bind(_ name: ListenerName, at address: ListenAddress, group: any EventLoopGroup,
                     implicitTLS: TLSContextProvider?,
                     makeHandler: @escaping @Sendable () -> any ChannelHandler) async throws -> BoundListener {
        let quiescing = ServerQuiescingHelper(group: group)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 511)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accepting waits for `startAccepting`, after every listener is bound and root dropped.
            .serverChannelOption(.autoRead, value: false)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            // Each channel keeps its receive buffer between reads, so an idle connection holds
            // `initial` bytes; commands are short, and the size grows within two reads when a
            // client sends a message.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        guard let tlsContext = implicitTLS.context else { throw TLSLoadError("no certificate loaded") }
                        try channel.pipeline.syncOperations.addServerTLS(tlsContext)
                    }
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
        do {
            let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
            return BoundListener(name: name, channel: channel, quiescing: quiescing)
        } catch {
            throw ListenError(name: name, address: address, underlying: error)
        }
    }

    /// Starts accepting connections on listeners bound by `bind`; until then clients wait in
    /// the kernel's backlog.
    static func startAccepting(_ listeners: [BoundListener]) async throws {
        for listener in listeners {
            try await listener.channel.setOption(.autoRead, value: true).get()
        }
    }
}

/// A bind failure that names the listener, the port and the reason.
public struct ListenError: Error, CustomStringConvertible {
    public var name: ListenerName
    public var address: ListenAddress
    public var underlying: any Error

    public var description: String {
        var reason = "\(underlying)"
        if let ioError = underlying as? IOError {
            reason = String(cString: strerror(ioError.errnoCode))
            if ioError.errnoCode == EACCES && address.port < 1024 {
                reason += " (ports below 1024 need root or CAP_NET_BIND_SERVICE; use --listen \(name.rawValue)=\(address.host):\(name.unprivilegedPort) to test as a normal user)"
            } else if ioError.errnoCode == EADDRINUSE {
                reason += " (another program is listening on port \(address.port))"
            }
        }
        return "cannot listen \(name.rawValue) on \(address): \(reason)"
    }
}
