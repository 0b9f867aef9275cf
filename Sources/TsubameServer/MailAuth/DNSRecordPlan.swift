#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MailAuthentication

/// The records a mail domain served by this server needs, as zone-file lines to paste
/// (`tsubame dns records`, `tsubame dkim keygen|show`), and what `tsubame dns check` expects.
public enum DNSRecordPlan {
    public static let ttl = 3600
    public static let spfRecord = "v=spf1 mx -all"

    /// p=quarantine rather than reject while a new setup settles; reports to postmaster@,
    /// which every domain here has (RFC 5321 §4.5.1).
    public static func dmarcRecord(domain: String) -> String {
        "v=DMARC1; p=quarantine; rua=mailto:postmaster@\(domain)"
    }

    /// A DKIM key's TXT line, split after its tags so `p=` starts a string of its own:
    /// `S._domainkey.D. 3600 IN TXT "v=DKIM1; k=rsa; " "p=…"`.
    public static func dkimLine(name: String, record: String) -> String {
        ZoneText.txtLine(name: name, ttl: ttl, strings: dkimStrings(record))
    }

    public static func dkimStrings(_ record: String) -> [String] {
        guard let range = record.range(of: "p="), range.lowerBound != record.startIndex else {
            return ZoneText.txtStrings(record)
        }
        return ZoneText.txtStrings(String(record[..<range.lowerBound])) + ZoneText.txtStrings(String(record[range.lowerBound...]))
    }

    /// All the lines for `domain`: MX, SPF, each DKIM selector, DMARC, the host's A/AAAA for
    /// `addresses` (or a comment asking for them) and, as comments, the reverse DNS the
    /// addresses need, which only whoever runs them can set.
    public static func lines(domain: String, hostname: String, addresses: [String], keys: [DKIMKeyStore.Key]) -> [String] {
        var lines = ["; DNS records for \(domain), ready to paste into its zone; `tsubame dns check \(domain)` verifies them."]
        lines.append(ZoneText.line(name: domain, ttl: ttl, type: "MX", data: "10 \(ZoneText.absolute(hostname))"))
        lines.append(ZoneText.txtLine(name: domain, ttl: ttl, text: spfRecord))
        if keys.isEmpty {
            lines.append("; no DKIM key for \(domain): make one with `tsubame dkim keygen \(domain)`")
        }
        for key in keys {
            lines.append(dkimLine(name: key.recordName, record: key.publicKeyRecord))
        }
        lines.append(ZoneText.txtLine(name: "_dmarc.\(domain)", ttl: ttl, text: dmarcRecord(domain: domain)))
        if addresses.isEmpty {
            lines.append("; \(ZoneText.absolute(hostname)) needs A (and AAAA) records with this server's public addresses:")
            lines.append(";   give them with --ip ADDRESS (repeatable) to print those lines and the reverse DNS they need")
        }
        for address in addresses {
            let type = address.contains(":") ? "AAAA" : "A"
            lines.append(ZoneText.line(name: hostname, ttl: ttl, type: type, data: address))
        }
        for address in addresses {
            if let name = reverseName(address) {
                lines.append("; PTR: \(name) → \(ZoneText.absolute(hostname)) (reverse DNS: ask your provider; receivers refuse mail from addresses without it)")
            }
        }
        return lines
    }

    /// The in-addr.arpa / ip6.arpa name of an address (RFC 1035 §3.5, RFC 3596 §2.5), with
    /// its final dot; nil for anything that is not an IP address.
    public static func reverseName(_ address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let octets = withUnsafeBytes(of: v4) { Array($0) }
            return octets.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa."
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return nil }
        let octets = withUnsafeBytes(of: v6) { Array($0) }
        let nibbles = octets.reversed().flatMap { [String($0 & 0xF, radix: 16), String($0 >> 4, radix: 16)] }
        return nibbles.joined(separator: ".") + ".ip6.arpa."
    }

    /// Whether `text` is an IPv4 or IPv6 address.
    public static func isAddress(_ text: String) -> Bool { reverseName(text) != nil }
}
