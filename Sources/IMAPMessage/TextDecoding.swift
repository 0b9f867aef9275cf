import Foundation

/// Undoing transfer encodings (RFC 2045 §6.7, §6.8), RFC 2047 encoded words, and charsets, for
/// SEARCH: everything ends as UTF-8 octets. Undecodable input is left as it is, never an error.
enum TextDecoding {
    // MARK: Transfer encodings

    static func decodeTransfer(_ bytes: ArraySlice<UInt8>, encoding: [UInt8]) -> [UInt8] {
        let name = ASCII.lowercased(encoding)
        if name == Array("base64".utf8) { return base64(bytes) }
        if name == Array("quoted-printable".utf8) { return quotedPrintable(bytes, underscoreIsSpace: false) }
        return Array(bytes)
    }

    private static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// Characters outside the alphabet are skipped (RFC 2045 §6.8); decoding stops at "=".
    static func base64(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            if byte == 0x3D { break }
            let value = base64Values[Int(byte)]
            if value == 0xFF { continue }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }

    /// `=XX` octets, soft line breaks `=` CRLF removed; a bad escape stays as written. In an
    /// encoded word "_" is a space (RFC 2047 §4.2).
    static func quotedPrintable(_ bytes: some Collection<UInt8>, underscoreIsSpace: Bool) -> [UInt8] {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == 0x3D {
                if index + 2 < input.count,
                   let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2]) {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
                // Soft line break: "=" then optional white space then the line end.
                var next = index + 1
                while next < input.count && (input[next] == 0x20 || input[next] == 0x09) { next += 1 }
                if next < input.count && input[next] == 0x0D { next += 1 }
                if next < input.count && input[next] == 0x0A {
                    index = next + 1
                    continue
                }
                if next >= input.count { index = next; continue }
            }
            output.append(underscoreIsSpace && byte == 0x5F ? 0x20 : byte)
            index += 1
        }
        return output
    }

    // MARK: Charsets

    /// Text in `charset` as UTF-8; UTF-8, US-ASCII and unknown charsets pass through.
    static func utf8(_ bytes: [UInt8], charset: [UInt8]?) -> [UInt8] {
        guard let charset, !bytes.allSatisfy({ $0 < 0x80 && $0 != 0x1B }) else { return bytes }
        let name = String(decoding: ASCII.lowercased(charset), as: UTF8.self)
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii":
            return bytes
        case "iso-8859-1", "latin1", "iso_8859-1", "l1":
            return latin(bytes, replacing: [:])
        case "iso-8859-15", "latin-9", "latin9":
            return latin(bytes, replacing: latin9)
        case "windows-1252", "cp1252":
            return foundation(bytes, .windowsCP1252) ?? latin(bytes, replacing: [:])
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "cp932", "windows-31j", "ms_kanji":
            return foundation(bytes, .shiftJIS) ?? bytes
        case "iso-2022-jp", "csiso2022jp":
            return foundation(bytes, .iso2022JP) ?? bytes
        case "euc-jp", "x-euc-jp", "eucjp":
            return eucJP(bytes) ?? bytes
        default:
            return bytes
        }
    }

    private static func foundation(_ bytes: [UInt8], _ encoding: String.Encoding) -> [UInt8]? {
        String(data: Data(bytes), encoding: encoding).map { Array($0.utf8) }
    }

    /// ISO-8859-15 differs from ISO-8859-1 in eight places.
    private static let latin9: [UInt8: Unicode.Scalar] = [
        0xA4: "\u{20AC}", 0xA6: "\u{0160}", 0xA8: "\u{0161}", 0xB4: "\u{017D}",
        0xB8: "\u{017E}", 0xBC: "\u{0152}", 0xBD: "\u{0153}", 0xBE: "\u{0178}",
    ]

    private static func latin(_ bytes: [UInt8], replacing: [UInt8: Unicode.Scalar]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            if byte < 0x80 {
                output.append(byte)
            } else {
                let scalar = replacing[byte] ?? Unicode.Scalar(byte)
                output += Array(String(Character(scalar)).utf8)
            }
        }
        return output
    }

    /// Foundation on Linux has no EUC-JP decoder; its two-octet JIS X 0208 characters are the
    /// same code points ISO-2022-JP carries between `ESC $ B` and `ESC ( B`, so rewrite and decode
    /// that way. Half-width katakana (0x8E xx) and JIS X 0212 (0x8F) are dropped.
    private static func eucJP(_ bytes: [UInt8]) -> [UInt8]? {
        var jis: [UInt8] = []
        jis.reserveCapacity(bytes.count + 16)
        var inKanji = false
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0xA1 && byte <= 0xFE && index + 1 < bytes.count && bytes[index + 1] >= 0xA1 {
                if !inKanji { jis += [0x1B, 0x24, 0x42]; inKanji = true }
                jis += [byte & 0x7F, bytes[index + 1] & 0x7F]
                index += 2
                continue
            }
            if inKanji { jis += [0x1B, 0x28, 0x42]; inKanji = false }
            if byte == 0x8E { index += 2; continue }
            if byte == 0x8F { index += 3; continue }
            if byte < 0x80 { jis.append(byte) }
            index += 1
        }
        if inKanji { jis += [0x1B, 0x28, 0x42] }
        return foundation(jis, .iso2022JP)
    }

    // MARK: RFC 2047

    /// A header value with its encoded words (`=?charset?B|Q?text?=`) decoded to UTF-8; white
    /// space between two adjacent encoded words is dropped (RFC 2047 §6.2).
    static func decodeHeaderValue(_ value: [UInt8]) -> [UInt8] {
        guard value.count >= 8, containsEncodedWordStart(value) else { return value }
        var output: [UInt8] = []
        output.reserveCapacity(value.count)
        var index = 0
        var pendingSpace: [UInt8] = []
        var lastWasEncoded = false
        while index < value.count {
            if value[index] == 0x3D, index + 1 < value.count, value[index + 1] == 0x3F,
               let (decoded, end) = encodedWord(value, at: index) {
                if !lastWasEncoded { output += pendingSpace }
                pendingSpace = []
                output += decoded
                index = end
                lastWasEncoded = true
                continue
            }
            let byte = value[index]
            if byte == 0x20 || byte == 0x09 {
                pendingSpace.append(byte)
            } else {
                output += pendingSpace
                pendingSpace = []
                output.append(byte)
                lastWasEncoded = false
            }
            index += 1
        }
        output += pendingSpace
        return output
    }

    private static func containsEncodedWordStart(_ value: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < value.count {
            if value[index] == 0x3D && value[index + 1] == 0x3F { return true }
            index += 1
        }
        return false
    }

    /// `=?charset[*lang]?enc?text?=` at `start` → its text as UTF-8 and the index past it.
    private static func encodedWord(_ value: [UInt8], at start: Int) -> ([UInt8], Int)? {
        var index = start + 2
        let limit = min(value.count, start + 1024)
        func field() -> ArraySlice<UInt8>? {
            let begin = index
            while index < limit && value[index] != 0x3F && value[index] != 0x20 { index += 1 }
            guard index < limit, value[index] == 0x3F else { return nil }
            index += 1
            return value[begin..<(index - 1)]
        }
        guard var charset = field(), let encoding = field(), encoding.count == 1 else { return nil }
        let textStart = index
        while index + 1 < limit && !(value[index] == 0x3F && value[index + 1] == 0x3D) {
            if value[index] == 0x20 { return nil }
            index += 1
        }
        guard index + 1 < limit else { return nil }
        let text = value[textStart..<index]
        if let star = charset.firstIndex(of: 0x2A) { charset = charset[..<star] }  // RFC 2231 §5 language
        let raw: [UInt8]
        switch encoding.first.map(ASCII.lower) {
        case 0x62: raw = base64(text)
        case 0x71: raw = quotedPrintable(text, underscoreIsSpace: true)
        default: return nil
        }
        return (utf8(raw, charset: Array(charset)), index + 2)
    }
}

/// Case folding for SEARCH's substring match: ASCII fast, other text through Unicode lowercase.
enum TextFolding {
    static func folded(_ bytes: [UInt8]) -> [UInt8] {
        var ascii = true
        for byte in bytes where byte >= 0x80 {
            ascii = false
            break
        }
        if ascii { return bytes.map(ASCII.lower) }
        return Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8)
    }

    /// Whether `needle` (already folded) occurs in `haystack` (not folded). An ASCII needle is
    /// compared with the haystack's octets lowered one by one, without a folded copy (the
    /// common case, and the fast one for SEARCH BODY over a whole mailbox).
    static func containsFolding(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.allSatisfy({ $0 < 0x80 }) else { return contains(folded(haystack), needle) }
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let last = haystack.count - needle.count
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                let first = pin[0]
                var index = 0
                while index <= last {
                    let byte = hay[index]
                    if (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == first {
                        var offset = 1
                        while offset < pin.count {
                            let other = hay[index + offset]
                            if (other >= 0x41 && other <= 0x5A ? other | 0x20 : other) != pin[offset] { break }
                            offset += 1
                        }
                        if offset == pin.count { return true }
                    }
                    index += 1
                }
                return false
            }
        }
    }

    /// Whether `needle` (already folded) occurs in `haystack` (already folded).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        let last = haystack.count - needle.count
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                var index = 0
                while index <= last {
                    if hay[index] == first {
                        var offset = 1
                        while offset < pin.count && hay[index + offset] == pin[offset] { offset += 1 }
                        if offset == pin.count { return true }
                    }
                    index += 1
                }
                return false
            }
        }
    }
}
