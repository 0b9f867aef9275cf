import NIOCore

/// IP addresses as text, in one form: what `inet_ntop` writes (lowercase, RFC 5952 zero
/// compression). Addresses from configuration, from DNS and from our own interfaces are all
/// passed through it before they are compared, so "2001:DB8:0::1" and "2001:db8::1" are one.
enum IPAddressText {
    /// The canonical text of an IPv4 or IPv6 address; nil when `text` is neither.
    static func canonical(_ text: some StringProtocol) -> String? {
        // SocketAddress(ipAddress:) is inet_pton: strict dotted quads, no zone ids, no names.
        guard !text.isEmpty, let address = try? SocketAddress(ipAddress: String(text), port: 0) else { return nil }
        return address.ipAddress
    }

    static func isIPv6(_ canonical: String) -> Bool { canonical.contains(":") }

    /// 127.0.0.0/8 (RFC 1122 §3.2.1.3) and ::1 (RFC 4291 §2.5.3).
    static func isLoopback(_ canonical: String) -> Bool {
        canonical == "::1" || (!isIPv6(canonical) && canonical.hasPrefix("127."))
    }

    /// 0.0.0.0 and ::: connecting to them reaches this machine (Linux treats them as loopback).
    static func isUnspecified(_ canonical: String) -> Bool {
        canonical == "0.0.0.0" || canonical == "::"
    }
}
