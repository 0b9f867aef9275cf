/// The client's TLS contexts, made once (loading the system trust store and the CA file is
/// slow): TLS 1.2 minimum; for `verify`, the system's roots plus `caFile`, the name checked;
/// for `may` and `encrypt`, no verification (RFC 7435: opportunistic security).
public final class OutboundTLS: Sendable {
    public init(caFile: String?) throws {
        fatalError("built by the client helper")
    }
}
