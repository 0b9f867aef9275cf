import NIOCore
import NIOSSL
import SMTPProtocol

/// The client's TLS contexts, made once (loading the system trust store and the CA file is
/// slow): TLS 1.2 minimum; for `verify`, the system's roots plus `caFile`, the name checked;
/// for `may` and `encrypt`, no verification (RFC 7435: opportunistic security).
public final class OutboundTLS: Sendable {
    /// `verify`: the chain must lead to a trusted root and name the host (RFC 6125).
    let verifying: NIOSSLContext
    /// `may` and `encrypt`: encryption against passive listeners only. RFC 7435 §1.3: an
    /// unauthenticated channel beats plaintext, and most MX certificates would not verify anyway.
    let opportunistic: NIOSSLContext

    /// How long a closing connection waits for the server's close_notify: after the reply to
    /// QUIT nothing more is expected, and NIOSSL's default (5 s) would hold every close.
    static let closeNotifyWait = TimeAmount.milliseconds(250)

    /// Throws when `caFile` cannot be read as PEM certificates (the config check reports it).
    public init(caFile: String?) throws {
        var verifying = TLSConfiguration.makeClientConfiguration()
        // NIOSSL's default would allow TLS 1.0; RFC 8996 forbids 1.0 and 1.1.
        verifying.minimumTLSVersion = .tlsv12
        verifying.certificateVerification = .fullVerification
        verifying.trustRoots = .default
        if let caFile {
            // Loaded here rather than as `.file(caFile)`, so a broken file fails at start with
            // its own error instead of at the first handshake.
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            guard !certificates.isEmpty else { throw OutboundTLSError(message: "\(caFile) holds no PEM certificate") }
            verifying.additionalTrustRoots = [.certificates(certificates)]
        }
        verifying.shutdownTimeout = Self.closeNotifyWait
        self.verifying = try NIOSSLContext(configuration: verifying)

        var opportunistic = TLSConfiguration.makeClientConfiguration()
        opportunistic.minimumTLSVersion = .tlsv12
        opportunistic.certificateVerification = .none
        opportunistic.shutdownTimeout = Self.closeNotifyWait
        self.opportunistic = try NIOSSLContext(configuration: opportunistic)
    }

    /// The TLS client for one connection to `hostName` under `policy` (`.none` never gets here).
    /// SNI carries the name unless it is an address literal (RFC 6066 §3); for `verify` the
    /// certificate must match it, or the peer's address when the name is one (NIOSSL checks
    /// the IP SANs against the socket's remote address then).
    func makeHandler(policy: SMTPClientTLSPolicy, hostName: String) throws -> NIOSSLClientHandler {
        let context = policy == .verify ? verifying : opportunistic
        return try NIOSSLClientHandler(context: context, serverHostname: Self.serverName(hostName))
    }

    /// The name for SNI and verification: without a trailing dot or brackets; nil for an address.
    static func serverName(_ hostName: String) -> String? {
        var name = Substring(hostName)
        if name.hasPrefix("["), name.hasSuffix("]") { return nil }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, !isAddressLiteral(name) else { return nil }
        return String(name)
    }

    static func isAddressLiteral(_ name: Substring) -> Bool {
        if name.contains(":") { return true }  // IPv6; a host name never has one
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCIIDigit) && Int(part)! <= 255
        }
    }

    /// Whether the verified certificate names `hostName` in a DNS subjectAltName (RFC 6125
    /// §6.4; a wildcard only as the whole leftmost label, §6.4.3). NIOSSL's own check also
    /// accepts an IP SAN matching the socket's address; for a name that is not enough, as the
    /// address came from DNS an attacker may have answered. nil `serverName` (an address
    /// literal): NIOSSL's IP check is the right one, so this passes.
    static func certificate(_ certificate: NIOSSLCertificate, names hostName: String) -> Bool {
        let patterns = certificate._subjectAlternativeNames().filter { $0.nameType == .dnsName }
            .map { String(decoding: Array($0.contents), as: UTF8.self) }
        return dnsNames(patterns, match: hostName)
    }

    /// The matching rule of `certificate(_:names:)` on the DNS SANs alone.
    static func dnsNames(_ patterns: [String], match hostName: String) -> Bool {
        guard let name = serverName(hostName)?.lowercased() else { return true }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for var pattern in patterns.map({ $0.lowercased() }) {
            if pattern.hasSuffix(".") { pattern.removeLast() }
            let patternLabels = pattern.split(separator: ".", omittingEmptySubsequences: false)
            guard patternLabels.count == labels.count else { continue }
            // "*.example.org" covers one label, never a bare public suffix like "*.org".
            if patternLabels.first == "*", patternLabels.count > 2 {
                if patternLabels.dropFirst() == labels.dropFirst() { return true }
            } else if patternLabels == labels {
                return true
            }
        }
        return false
    }

    /// "TLSv1.3" for the log's tls= field.
    static func name(_ version: TLSVersion?) -> String? {
        switch version {
        case .tlsv13?: return "TLSv1.3"
        case .tlsv12?: return "TLSv1.2"
        case .tlsv11?: return "TLSv1.1"
        case .tlsv1?: return "TLSv1.0"
        case nil: return nil
        }
    }
}

struct OutboundTLSError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
