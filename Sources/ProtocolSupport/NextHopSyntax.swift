#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The written forms of a next hop (`[delivery] relay_host`, `[delivery.routes]`) and of an IP
/// address, checked in one place so the config loader refuses what the delivery code could not
/// dial. Forms: "host", "host:port", "[address]", "[address]:port" — an address only in
/// brackets (as Postfix's `[host]`: no MX lookup), so "::1:25" is never ambiguous.
public enum NextHopSyntax {
    public enum Host: Sendable, Equatable {
        /// A DNS name (RFC 1123 §2.1 labels), without a trailing dot.
        case name(String)
        /// An IPv4 or IPv6 literal, written in brackets (RFC 5321 §4.1.3 address literals).
        case address(String)
    }

    /// The host and the port (nil when not written), or nil when `text` is none of the forms.
    public static func parse(_ text: String) -> (host: Host, port: Int?)? {
        var hostText = Substring(text)
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
            let address = String(hostText)
            guard isIPv4(address) || isIPv6(address), case .valid(let port) = parsePort(portText) else { return nil }
            return (.address(address), port)
        }
        if let colon = text.lastIndex(of: ":") {
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        let name = String(hostText)
        // A bare IPv4 address reads as a host name of digits; RFC 1123 §2.1 names may start
        // with a digit, but an all-numeric name would be looked up in DNS, never dialled as
        // an address, so it must be bracketed to say which is meant.
        guard isHostName(name), !isIPv4(name), case .valid(let port) = parsePort(portText) else { return nil }
        return (.name(name.lowercased()), port)
    }

    private enum Port { case valid(Int?), malformed }

    /// A port 1...65535 written in decimal; `.valid(nil)` when none is written.
    private static func parsePort(_ text: Substring?) -> Port {
        guard let text else { return .valid(nil) }
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(text), (1...65535).contains(port) else { return .malformed }
        return .valid(port)
    }

    /// Letters, digits and hyphens in labels of 1–63, not starting or ending with a hyphen, at
    /// most 253 octets (RFC 1035 §2.3.4, RFC 1123 §2.1). ASCII only: an IDN is written as its
    /// A-label, as DNS queries carry it.
    public static func isHostName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                }
        }
    }

    /// Dotted-quad IPv4, as inet_pton reads it (no leading zeros, no shorter forms).
    public static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        // A NUL would end the C string early: "1.2.3.4\0x" must not pass as 1.2.3.4.
        return !text.utf8.contains(0) && inet_pton(AF_INET, text, &address) == 1
    }

    /// An IPv6 address in RFC 4291 §2.2 text form, without a zone or brackets.
    public static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return !text.utf8.contains(0) && inet_pton(AF_INET6, text, &address) == 1
    }
}
