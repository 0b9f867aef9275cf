/// Reads the domain of a From field's single address (RFC 5322 §3.4, §3.6.2), for DMARC's
/// RFC5322.From domain (RFC 7489 §3.1.1). Comments are skipped, quoted strings respected;
/// a list of several addresses, a group, or an address without a usable domain gives nil.
enum FromAddress {
    static func singleDomain(_ value: String) -> String? {
        var addresses: [String] = []
        var current: [Character] = []
        var inQuotes = false
        var commentDepth = 0
        var inAngle = false
        var escaped = false
        for character in value {
            if escaped {
                escaped = false
                if commentDepth == 0 { current.append(character) }
                continue
            }
            if character == "\\" && (inQuotes || commentDepth > 0) {
                escaped = true
                continue
            }
            if commentDepth > 0 {
                if character == "(" { commentDepth += 1 } else if character == ")" { commentDepth -= 1 }
                continue
            }
            if inQuotes {
                if character == "\"" { inQuotes = false }
                current.append(character)
                continue
            }
            switch character {
            case "\"": inQuotes = true; current.append(character)
            case "(": commentDepth = 1
            case "<": inAngle = true; current.append(character)
            case ">": inAngle = false; current.append(character)
            case "," where !inAngle:
                addresses.append(String(current))
                current = []
            case ":" where !inAngle, ";" where !inAngle:
                return nil  // a group (RFC 5322 §3.4): not one mailbox
            default: current.append(character)
            }
        }
        guard !inQuotes, commentDepth == 0 else { return nil }
        addresses.append(String(current))
        let nonEmpty = addresses.map { $0.dkimTrimmed }.filter { !$0.isEmpty }
        guard nonEmpty.count == 1, let mailbox = nonEmpty.first else { return nil }
        var address = Substring(mailbox)
        if let open = address.lastIndex(of: "<") {
            guard let close = address[open...].firstIndex(of: ">") else { return nil }
            address = address[address.index(after: open)..<close]
        }
        // The domain follows the last "@" outside quotes (a quoted local part may hold "@").
        guard let at = address.lastIndex(of: "@") else { return nil }
        var domain = address[address.index(after: at)...].dkimTrimmed
        if domain.hasSuffix(".") { domain.removeLast() }
        guard !domain.isEmpty, domain.utf8.count <= 253,
              domain.utf8.allSatisfy({ $0 >= 0x80 || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
                  || $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39)
                  || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) })
        else { return nil }
        return domain.lowercased()
    }
}

extension StringProtocol {
    var dkimTrimmed: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
