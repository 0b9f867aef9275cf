#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftASN1
import X509

/// The names a server certificate is valid for: DNS names and IP addresses, checked and
/// normalised (lower case, no trailing dot, IPs in canonical text form, duplicates dropped).
public struct ServerIdentity: Sendable, Equatable {
    public let dnsNames: [String]
    public let ipAddresses: [String]

    /// RFC 5280 ub-common-name: the subject CN holds at most 64 characters.
    static let maximumCommonNameLength = 64

    /// `hosts` become DNS names (the first is also the subject common name); `ipAddresses`
    /// are IPv4 or IPv6 literals.
    public init(hosts: [String], ipAddresses: [String] = []) throws {
        guard !hosts.isEmpty else {
            throw PKIError.invalidRequest("name at least one host (e.g. mail.example.org); the first one is the certificate's common name")
        }
        var names: [String] = []
        for host in hosts {
            let name = try Self.checkedDNSName(host)
            if !names.contains(name) { names.append(name) }
        }
        var ips: [String] = []
        for text in ipAddresses {
            guard let bytes = Self.ipAddressBytes(text) else {
                throw PKIError.invalidRequest("\"\(text)\" is not an IPv4 or IPv6 address")
            }
            let canonical = Self.ipAddressText(bytes)
            if !ips.contains(canonical) { ips.append(canonical) }
        }
        guard names[0].count <= Self.maximumCommonNameLength else {
            throw PKIError.invalidRequest(
                "\(names[0]) is longer than 64 characters, the limit for the certificate's common name (RFC 5280 ub-common-name); list a shorter host name first")
        }
        self.dnsNames = names
        self.ipAddresses = ips
    }

    /// The subject common name: the first host.
    public var commonName: String { dnsNames[0] }

    /// Everything this identity names, for messages: "mail.example.org, localhost, 127.0.0.1".
    public var summary: String { (dnsNames + ipAddresses).joined(separator: ", ") }

    /// RFC 5280 §4.2.1.6: dNSName in preferred name syntax, iPAddress as 4 or 16 octets.
    var subjectAlternativeNames: SubjectAlternativeNames {
        SubjectAlternativeNames(
            dnsNames.map { GeneralName.dnsName($0) }
                + ipAddresses.compactMap { Self.ipAddressBytes($0) }.map {
                    GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...]))
                })
    }

    /// RFC 1034 §3.5 preferred name syntax (letters, digits, hyphens; labels of 1-63 characters,
    /// 253 in all), plus a "*." wildcard as the whole first label (RFC 6125 §6.4.3).
    static func checkedDNSName(_ host: String) throws -> String {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if ipAddressBytes(name) != nil {
            throw PKIError.invalidRequest("\(host) is an IP address; pass it with --ip \(host) so it becomes an IP address name")
        }
        guard !name.isEmpty, name.utf8.count <= 253 else {
            throw PKIError.invalidRequest("\"\(host)\" is not a host name (1 to 253 characters)")
        }
        guard name.unicodeScalars.allSatisfy(\.isASCII) else {
            throw PKIError.invalidRequest(
                "\(host) is not ASCII; write an internationalised name in its xn-- (punycode) form, as DNS stores it")
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label == "*" && index == 0 && labels.count > 2 { continue }
            let valid = !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
            guard valid else {
                throw PKIError.invalidRequest(
                    "\"\(host)\" is not a valid host name: each dot-separated label must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen (a wildcard \"*.\" is allowed only as the first label, above a domain with at least two labels)")
            }
        }
        return name
    }

    /// The 4 or 16 octets of an IPv4 or IPv6 literal, or nil.
    public static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func ipAddressText(_ bytes: [UInt8]) -> String {
        // An iPAddress name is 4 or 16 octets (RFC 5280 §4.2.1.6), but a certificate or CSR from
        // elsewhere may carry any length, and inet_ntop reads 4 or 16 octets whatever it is given:
        // other lengths are shown octet by octet.
        guard bytes.count == 4 || bytes.count == 16 else { return bytes.map { String($0) }.joined(separator: ".") }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let result = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard result != nil else { return bytes.map { String($0) }.joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
