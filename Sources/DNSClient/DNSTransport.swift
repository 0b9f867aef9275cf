import NIOCore
import NIOPosix

/// Sends one query to one server and returns the matching answer: over UDP from a fresh socket
/// (so a fresh random source port, RFC 5452 §9.2), over TCP when the UDP answer was truncated
/// (TC=1, RFC 1035 §4.2.1, RFC 7766 §5).
public struct DNSTransport: Sendable {
    public let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// The answer, following TC=1 with TCP, or a `DNSFailure`.
    public func exchange(_ query: DNSQuery, with server: DNSNameserver, timeout: TimeAmount) async throws(DNSFailure) -> DNSMessage {
        let answer = try await udp(query, server: server, timeout: timeout)
        guard answer.header.truncated else { return answer }
        let full = try await tcp(query, server: server, timeout: timeout)
        guard !full.header.truncated else { throw .truncatedOverTCP }
        return full
    }

    public func udp(_ query: DNSQuery, server: DNSNameserver, timeout: TimeAmount) async throws(DNSFailure) -> DNSMessage {
        let loop = group.next()
        let promise = loop.makePromise(of: DNSMessage.self)
        let bindHost = server.address.protocol == .inet6 ? "::" : "0.0.0.0"
        let address = server.address
        do {
            let channel = try await DatagramBootstrap(group: loop)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: DNSMessage.maximumLength))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            UDPExchangeHandler(server: address, query: query, timeout: timeout, promise: promise))
                    }
                }
                .bind(host: bindHost, port: 0).get()
            let envelope = AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: query.encode()))
            channel.writeAndFlush(envelope, promise: nil)
        } catch {
            promise.fail(DNSFailure.network("\(error)"))
        }
        return try await Self.wait(promise.futureResult)
    }

    public func tcp(_ query: DNSQuery, server: DNSNameserver, timeout: TimeAmount) async throws(DNSFailure) -> DNSMessage {
        let loop = group.next()
        let promise = loop.makePromise(of: DNSMessage.self)
        do {
            _ = try await ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            TCPExchangeHandler(query: query, timeout: timeout, promise: promise))
                    }
                }
                .connect(to: server.address).get()
        } catch {
            // The handler may have completed the promise already; NIO ignores a second completion.
            promise.fail(DNSFailure.network("\(error)"))
        }
        return try await Self.wait(promise.futureResult)
    }

    private static func wait(_ future: EventLoopFuture<DNSMessage>) async throws(DNSFailure) -> DNSMessage {
        do {
            return try await future.get()
        } catch let failure as DNSFailure {
            throw failure
        } catch {
            throw .network("\(error)")
        }
    }
}
