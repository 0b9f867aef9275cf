/// Syntax rules for the addresses the directory stores.
///
/// Local mailbox names become directory names (`mail/DOMAIN/LOCALPART`), so
/// they are held to a strict subset of RFC 5322 dot-atom: nothing that could
/// climb out of the mail folder ('/', "..", a leading '.') and nothing that
/// could smuggle control characters or whitespace into paths and logs.
enum AddressSyntax {
    /// RFC 5321 §4.5.3.1.1 (kept by RFC 6531 for SMTPUTF8): 64 octets.
    /// It also keeps directory names far below the 255-byte filesystem limit.
    static let maxLocalPartOctets = 64

    /// RFC 1035 limit for a domain name in text form.
    static let maxDomainLength = 253

    /// RFC 5322 atext punctuation, except '/', which would split a path.
    private static let localPartPunctuation: Set<Unicode.Scalar> = Set("!#$%&'*+-=?^_`{|}~".unicodeScalars)

    /// A local part of a mailbox or alias we host. Expects the lowercased form.
    static func isValidLocalPart(_ localPart: String) -> Bool {
        isValidDotAtom(localPart) { scalar in
            localPartPunctuation.contains(scalar)
        }
    }

    /// A local part of a remote alias target. Only the remote server gives it
    /// meaning, so '/' is allowed; quoted strings are not, to keep targets
    /// storable one per line and printable as-is.
    static func isValidRemoteLocalPart(_ localPart: String) -> Bool {
        isValidDotAtom(localPart) { scalar in
            scalar == "/" || localPartPunctuation.contains(scalar)
        }
    }

    /// Non-empty labels of letters, digits, hyphens or non-ASCII characters,
    /// separated by single dots. Expects the lowercased form.
    static func isValidDomain(_ domain: String) -> Bool {
        guard !domain.isEmpty, domain.count <= maxDomainLength else { return false }
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            // Empty labels cover leading, trailing and doubled dots. A leading
            // hyphen is not a valid host name (RFC 1123) and would look like an
            // option to command line tools handling the mail directory.
            guard !label.isEmpty, label.first != "-", label.last != "-" else { return false }
            for scalar in label.unicodeScalars {
                if scalar.isASCII {
                    guard isASCIILetterOrDigit(scalar) || scalar == "-" else { return false }
                } else {
                    guard isAcceptableNonASCII(scalar) else { return false }
                }
            }
        }
        return true
    }

    /// The domain of a catch-all alias written "@example.org", lowercased; nil for anything else.
    static func catchAllDomain(_ alias: String) -> String? {
        guard alias.first == "@" else { return nil }
        let domain = alias.dropFirst().lowercased()
        return isValidDomain(domain) ? domain : nil
    }

    /// A remote address for an alias target: "local@domain", domain lowercased,
    /// local part kept as written (remote servers may treat case as significant).
    static func canonicalRemoteAddress(_ address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let localPart = String(address[..<at])
        let domain = address[address.index(after: at)...].lowercased()
        guard isValidRemoteLocalPart(localPart), isValidDomain(domain) else { return nil }
        return "\(localPart)@\(domain)"
    }

    // MARK: - Helpers

    private static func isValidDotAtom(_ text: String, allowsPunctuation: (Unicode.Scalar) -> Bool) -> Bool {
        guard !text.isEmpty, text.utf8.count <= maxLocalPartOctets else { return false }
        guard text.first != ".", text.last != ".", !text.contains("..") else { return false }
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                guard isASCIILetterOrDigit(scalar) || scalar == "." || allowsPunctuation(scalar) else {
                    return false
                }
            } else {
                guard isAcceptableNonASCII(scalar) else { return false }
            }
        }
        return true
    }

    private static func isASCIILetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        default: false
        }
    }

    /// SMTPUTF8 allows UTF-8 letters; control characters and separators
    /// (NEL, NBSP, U+2028, ...) are refused because they break paths and logs.
    private static func isAcceptableNonASCII(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .spaceSeparator, .lineSeparator, .paragraphSeparator, .surrogate:
            false
        default:
            true
        }
    }
}
