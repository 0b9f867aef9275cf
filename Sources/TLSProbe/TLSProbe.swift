#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import NIOSSL

/// What a server presented: its certificate chain as sent (DER, leaf first), the TLS version
/// and, when the ServerHello could be read, the cipher suite.
public struct ProbeResult: Sendable, Equatable {
    public var chain: [[UInt8]]
    /// "TLSv1.3", "TLSv1.2".
    public var tlsVersion: String
    /// The IANA or OpenSSL name, when read from the ServerHello.
    public var cipher: String?

    public init(chain: [[UInt8]], tlsVersion: String, cipher: String?) {
        self.chain = chain
        self.tlsVersion = tlsVersion
        self.cipher = cipher
    }
}

/// Why the certificate could not be fetched.
public struct ProbeError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Name resolution or the TCP connection failed.
        case connect
        /// The server did not answer within the time allowed.
        case timeout
        /// The plaintext dialog before TLS failed (no STARTTLS, refused, malformed).
        case prelude
        /// The TLS handshake failed.
        case handshake
        /// The server closed the connection before the handshake completed.
        case closed
    }

    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

public struct ProbeOptions: Sendable {
    /// Speak SMTP or POP3 first; nil for implicit TLS (smtps/submissions 465, pop3s 995).
    public var startTLS: StartTLSProtocol?
    /// The name sent in SNI (RFC 6066 §3), so a server with several certificates picks the one
    /// for it; nil sends none (IP literals never go into SNI).
    public var serverName: String?
    /// For the TCP connection alone.
    public var connectTimeout: TimeAmount
    /// For everything, from the connection attempt to the completed handshake.
    public var timeout: TimeAmount

    public static let defaultConnectTimeout = TimeAmount.seconds(10)
    public static let defaultTimeout = TimeAmount.seconds(15)

    public init(startTLS: StartTLSProtocol? = nil, serverName: String? = nil,
                connectTimeout: TimeAmount = defaultConnectTimeout, timeout: TimeAmount = defaultTimeout) {
        self.startTLS = startTLS
        self.serverName = serverName
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }
}

/// A TLS client that connects, runs the STARTTLS/STLS dialog when asked, completes a handshake
/// accepting whatever chain the server sends, and returns that chain. It trusts nothing and
/// checks nothing: the caller verifies the chain (TsubamePKI's CertificateReport).
public enum TLSProbe {
    /// Fetches the chain `target` presents; throws `ProbeError`. Blocking, for the command line
    /// (a thread outside Swift's cooperative pool and the event loops).
    public static func fetchWaiting(_ target: ProbeTarget, options: ProbeOptions,
                                    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws -> ProbeResult {
        try fetchFuture(target, options: options, eventLoop: group.next()).wait()
    }

    static func fetchFuture(_ target: ProbeTarget, options: ProbeOptions, eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        let tlsContext: NIOSSLContext
        do {
            tlsContext = try makeContext()
        } catch {
            return eventLoop.makeFailedFuture(ProbeError(.handshake, "cannot set up TLS: \(error)"))
        }
        let deadline = NIODeadline.now() + options.timeout
        let promise = eventLoop.makePromise(of: ProbeResult.self)
        // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
        let serverName = options.serverName.flatMap { ProbeTarget(host: $0, port: 0).isIPAddress ? nil : $0 }
        let connectTimeout = min(options.connectTimeout, options.timeout)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ProbeHandler(
                        target: target, startTLS: options.startTLS, serverName: serverName,
                        tlsContext: tlsContext, deadline: deadline, allowed: options.timeout, promise: promise)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let connected: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: target.host, port: target.port) {
            connected = bootstrap.connect(to: address)
        } else {
            connected = bootstrap.connect(host: target.host, port: target.port)
        }
        connected.whenFailure { error in
            promise.fail(describeConnectFailure(error, target: target, connectTimeout: connectTimeout))
        }
        // The result comes once the connection is closed, so the process does not exit before
        // the QUIT and the TLS close_notify went out.
        return connected.flatMap { channel in
            promise.futureResult.flatMap { result in
                channel.closeFuture.map { result }
            }
        }.flatMapError { _ in promise.futureResult }
    }

    /// TLS 1.2 and 1.3 only, as Tsubame's servers (a server offering only older versions fails
    /// the handshake, which is the finding). Verification is left to the caller.
    static func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.shutdownTimeout = .seconds(2)
        return try NIOSSLContext(configuration: configuration)
    }

    static func describeConnectFailure(_ error: any Error, target: ProbeTarget, connectTimeout: TimeAmount) -> ProbeError {
        if let error = error as? ProbeError { return error }
        return ProbeError(
            error.isTimeout ? .timeout : .connect,
            "cannot connect to \(target): \(describe(error, connectTimeout: connectTimeout))")
    }

    static func describe(_ error: any Error, connectTimeout: TimeAmount) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError {
                let reason = (dns as? SocketAddressError.UnknownHost)?.errorDescription.lowercased() ?? "\(dns)"
                return "cannot resolve \(error.host): \(reason)"
            }
            let reasons = error.connectionErrors.map { "\($0.target): \(describe($0.error, connectTimeout: connectTimeout))" }
            return reasons.isEmpty ? "\(error)" : reasons.joined(separator: "; ")
        case ChannelError.connectTimeout:
            return "no answer within \(seconds(connectTimeout)) s"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        default:
            return "\(error)"
        }
    }

    static func seconds(_ amount: TimeAmount) -> String {
        let value = Double(amount.nanoseconds) / 1e9
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}

extension Error {
    var isTimeout: Bool {
        if let error = self as? ChannelError, case .connectTimeout = error { return true }
        if let error = self as? NIOConnectionError {
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { $0.error.isTimeout }
        }
        return false
    }
}
