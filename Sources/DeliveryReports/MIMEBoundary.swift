/// A multipart boundary (RFC 2046 §5.1.1) that occurs in none of the parts' content.
enum MIMEBoundary {
    /// "=_" cannot start a line of quoted-printable or base64 text (RFC 2046 §5.1.1's advice);
    /// the token is reduced to letters and digits, and the whole stays within 70 characters.
    static func fresh(token: String, parts: [ArraySlice<UInt8>]) -> String {
        let clean = String(String.UnicodeScalarView(
            token.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
                .prefix(40)))
        let base = "=_" + (clean.isEmpty ? "tsubame" : clean)
        if !parts.contains(where: { contains($0, Array(base.utf8)) }) { return base }
        // The content holds the base (by chance, or because someone guessed the token).
        // Append a fixed-width number: each occurrence of "base." rules out at most one
        // number of that width, so with width digits > occurrences one is always free.
        let prefix = Array((base + ".").utf8)
        var occurrences = 0
        for part in parts { occurrences += count(part, prefix) }
        var width = 1
        var capacity = 10
        while capacity <= occurrences { width += 1; capacity *= 10 }
        var taken = Set<String>()
        for part in parts {
            for start in starts(part, prefix) {
                let after = part[(start + prefix.count)...].prefix(width)
                taken.insert(String(decoding: after, as: UTF8.self))
            }
        }
        for number in 0..<capacity {
            let digits = String(number)
            let candidate = String(repeating: "0", count: width - digits.count) + digits
            // Only an occurrence of "base." can contain "base.NNN", so a free NNN is fresh.
            if !taken.contains(candidate) { return base + "." + candidate }
        }
        return base  // unreachable: capacity exceeds the number of occurrences
    }

    static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        !starts(haystack, needle, stopAtFirst: true).isEmpty
    }

    static func count(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Int {
        starts(haystack, needle).count
    }

    private static func starts(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8], stopAtFirst: Bool = false) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var found: [Int] = []
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                found.append(index)
                if stopAtFirst { break }
            }
            index += 1
        }
        return found
    }
}
