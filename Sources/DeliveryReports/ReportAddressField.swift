/// The `address-type ";" generic-address` values of Final-Recipient and Original-Recipient
/// (RFC 3464 §2.3.1, §2.3.2) with the "utf-8" address type of RFC 6533 §3.
enum ReportAddressField {
    /// SMTP paths are at most 256 octets (RFC 5321 §4.5.3.1.3); ORCPT at most 500 (RFC 3461
    /// §4.2). Longer input is cut, never allowed to grow a field without bound.
    static let maximumAddressBytes = 500

    /// An ASCII address is written as "rfc822; addr" (or with the ORCPT's own type). A
    /// non-ASCII one uses the "utf-8" type (RFC 6533 §3): as UTF-8 (utf-8-address) inside
    /// message/global-delivery-status, and as utf-8-addr-xtext (non-ASCII as `\x{HEX}`) in
    /// the 7-bit message/delivery-status.
    static func value(addressType: String = "rfc822", address: String, global: Bool) -> String {
        let isASCII = address.utf8.allSatisfy { $0 < 0x80 }
        if isASCII {
            let cleanType = sanitizedType(addressType)
            return "\(cleanType); " + ReportFieldText.sanitized(address, allowUTF8: false,
                                                                maximumBytes: maximumAddressBytes)
        }
        if global {
            return "utf-8; " + ReportFieldText.sanitized(address, allowUTF8: true, maximumBytes: maximumAddressBytes)
        }
        return "utf-8; " + utf8AddressXText(address)
    }

    /// utf-8-addr-xtext (RFC 6533 §3): QCHAR stays, anything else becomes
    /// EmbeddedUnicodeChar `"\x{" HEXPOINT "}"`. A backslash is kept as it is, because an
    /// ORCPT given in this form already contains such escapes.
    static func utf8AddressXText(_ address: String) -> String {
        var result = ""
        for scalar in address.unicodeScalars {
            let value = scalar.value
            let isQChar = value >= 0x21 && value <= 0x7E && scalar != "+" && scalar != "="
            let piece = isQChar ? String(scalar) : "\\x{" + String(value, radix: 16, uppercase: true) + "}"
            guard result.utf8.count + piece.utf8.count <= maximumAddressBytes else { break }
            result += piece
        }
        return result
    }

    /// An address type is an atom (RFC 3464 §2.3.1, registered with IANA): letters, digits
    /// and "-" only, or "rfc822" when nothing usable remains.
    private static func sanitizedType(_ type: String) -> String {
        let kept = type.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        let clean = String(String.UnicodeScalarView(kept.prefix(32)))
        return clean.isEmpty ? "rfc822" : clean
    }
}
