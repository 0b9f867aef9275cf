import Logging
import NIOCore
import SMTPProtocol

/// What one transaction sends: the stored file (LF line ends, as the queue keeps it) after an
/// optional prefix (a DKIM signature later), dot-stuffed and CRLF-converted on the way out by
/// `DotStuffingEncoder`.
public struct OutboundContent: Sendable, Equatable {
    public var prefix: [UInt8]
    public var filePath: String

    public init(prefix: [UInt8] = [], filePath: String) {
        self.prefix = prefix
        self.filePath = filePath
    }
}

/// One SMTP client connection, driven by `SMTPClientSession`: connects, reads the greeting,
/// EHLO, STARTTLS (per policy, SNI, verification), AUTH for a smarthost; then runs any number
/// of transactions (RSET between, as the session does) until `quit`.
///
/// Under `may`, a TLS handshake that fails makes `open` connect again in plaintext (and log it).
/// Bytes behind the 220 to STARTTLS abort the connection (CVE-2011-0411's client side).
public final class SMTPClientConnection: Sendable {
    /// "mx.example.org[192.0.2.1]:25", for log lines and Remote-MTA.
    public var peerDescription: String { fatalError("built by the client helper") }
    /// The remote host's name as dialled (DeliveryHost.name).
    public var hostName: String { fatalError("built by the client helper") }
    /// "TLSv1.3", "TLSv1.2", or nil in plaintext: the log's tls= field.
    public var tlsVersion: String? { fatalError("built by the client helper") }
    /// True when the peer announced DSN (RFC 3461): otherwise NOTIFY=SUCCESS gets a "relayed" report.
    public var peerSupportsDSN: Bool { fatalError("built by the client helper") }

    /// Connects to one address of `host` and brings the session to `.ready`. A failure carries
    /// the status the queue applies to every recipient (deferred for a refused connection, a
    /// timeout, a 4xx greeting, a TLS requirement not met; failed for a 5xx greeting).
    public static func open(host: DeliveryHost, address: String, configuration: SMTPClientConfiguration,
                            tls: OutboundTLS, group: any EventLoopGroup, connectTimeout: Duration,
                            logger: Logger) async -> Result<SMTPClientConnection, SMTPClientFailure> {
        fatalError("built by the client helper")
    }

    /// One transaction. Recipient results in the order given; a lost connection or a timeout
    /// is a failure (then the connection is closed and must not be reused).
    public func deliver(_ message: SMTPOutboundMessage, content: OutboundContent) async
        -> Result<[SMTPRecipientResult], SMTPClientFailure> {
        fatalError("built by the client helper")
    }

    /// True while a further `deliver` may be tried on this connection.
    public var isReusable: Bool { fatalError("built by the client helper") }

    /// QUIT and close (bounded by a short timeout); safe to call twice or after a failure.
    public func close() async {
        fatalError("built by the client helper")
    }
}
