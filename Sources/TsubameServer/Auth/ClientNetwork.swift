#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What login failures are counted by: one IPv4 address, or one IPv6 /64. A /64 is what one
/// customer or host usually gets (RFC 6177), and a host picks any address inside it at will
/// (RFC 8981), so counting single IPv6 addresses would count nothing. An IPv4-mapped address
/// (`::ffff:192.0.2.1`, what a dual-stack socket reports for IPv4 clients, RFC 4291 §2.5.5.2)
/// is the IPv4 address it carries.
struct ClientNetwork: Hashable, Sendable, CustomStringConvertible {
    /// "192.0.2.1", or "2001:db8:1:2::/64".
    let description: String

    init(address: String) {
        // An IPv6 zone ("fe80::1%eth0") names an interface, not a network.
        let bare = address.split(separator: "%", maxSplits: 1).first.map(String.init) ?? address
        if let ipv4 = Self.ipv4(bare) {
            description = ipv4
        } else if var bytes = Self.ipv6Bytes(bare) {
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                description = bytes[12..<16].map { String($0) }.joined(separator: ".")
            } else {
                for index in 8..<16 { bytes[index] = 0 }
                description = Self.format(ipv6: bytes) + "/64"
            }
        } else {
            description = address  // not an IP address ("unknown"): counted as it is
        }
    }

    /// The canonical dotted quad, or nil when `text` is not one.
    private static func ipv4(_ text: String) -> String? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { $0.map { String($0) }.joined(separator: ".") }
    }

    private static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    /// The RFC 5952 text form (inet_ntop's).
    private static func format(ipv6 bytes: [UInt8]) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
