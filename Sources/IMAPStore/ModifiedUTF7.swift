/// IMAP's modified UTF-7 for mailbox names (RFC 3501 §5.1.3), the form Dovecot also uses for
/// Maildir++ folder names on disk (`.Entw&APw-rfe`).
///
/// Printable US-ASCII (0x20–0x7E) stands for itself, except "&", which is written "&-". Anything
/// else is UTF-16BE in base64 with "," for "/", without padding, between "&" and "-".
///
/// Decoding is strict: only the one canonical encoding of a name is accepted, so two spellings
/// can never name the same folder (or reach the same path) through different bytes.
public enum ModifiedUTF7 {
    public enum DecodingError: Error, Equatable, Sendable {
        /// An octet outside printable US-ASCII (raw 8-bit or a control character).
        case unencodedCharacter(offset: Int)
        /// "&" without a closing "-".
        case unterminatedShift(offset: Int)
        /// A character in the shift that is not modified base64.
        case invalidBase64(offset: Int)
        /// "&…-" whose bits do not form whole UTF-16 units, or whose padding bits are not zero.
        case badPadding(offset: Int)
        /// "&…-" holding printable ASCII, or two shifts back to back: not the canonical form.
        case nonCanonical(offset: Int)
        /// A lone or reversed UTF-16 surrogate.
        case invalidUTF16(offset: Int)
    }

    // MARK: Encoding

    public static func encode(_ name: String) -> String {
        var output = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            output += "&" + base64(pending) + "-"
            pending.removeAll(keepingCapacity: true)
        }
        for scalar in name.unicodeScalars {
            if (0x20...0x7E).contains(scalar.value) {
                flush()
                output += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending.append(contentsOf: String(scalar).utf16)
            }
        }
        flush()
        return output
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    private static func base64(_ units: [UInt16]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(units.count * 2)
        for unit in units { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        var output: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                output.append(alphabet[Int((accumulator >> UInt32(bits)) & 0x3F)])
            }
        }
        // The remaining bits go out left-aligned with zero padding bits, no "=" (RFC 3501 §5.1.3).
        if bits > 0 { output.append(alphabet[Int((accumulator << UInt32(6 - bits)) & 0x3F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: Decoding

    public static func decode(_ encoded: String) throws(DecodingError) -> String {
        let bytes = Array(encoded.utf8)
        var output = String.UnicodeScalarView()
        var index = 0
        /// The end of the last shift, to catch "&…-&…-" (canonical form merges them).
        var lastShiftEnd = -1
        while index < bytes.count {
            let byte = bytes[index]
            guard (0x20...0x7E).contains(byte) else { throw .unencodedCharacter(offset: index) }
            if byte != UInt8(ascii: "&") {
                output.append(Unicode.Scalar(byte))
                index += 1
                continue
            }
            let start = index
            index += 1
            guard index < bytes.count else { throw .unterminatedShift(offset: start) }
            if bytes[index] == UInt8(ascii: "-") {
                output.append("&")
                index += 1
                continue
            }
            if start == lastShiftEnd { throw .nonCanonical(offset: start) }
            var units: [UInt16] = []
            var accumulator: UInt32 = 0
            var bits = 0
            while true {
                guard index < bytes.count else { throw .unterminatedShift(offset: start) }
                let character = bytes[index]
                if character == UInt8(ascii: "-") { break }
                guard let value = sextet(character) else { throw .invalidBase64(offset: index) }
                accumulator = (accumulator << 6) | UInt32(value)
                bits += 6
                if bits >= 16 {
                    bits -= 16
                    units.append(UInt16((accumulator >> UInt32(bits)) & 0xFFFF))
                }
                index += 1
            }
            // Fewer than 6 leftover bits, all zero: anything else is not what an encoder writes.
            if units.isEmpty || bits >= 6 || accumulator & ((1 << UInt32(bits)) - 1) != 0 {
                throw .badPadding(offset: start)
            }
            try appendUTF16(units, to: &output, offset: start)
            index += 1
            lastShiftEnd = index
        }
        return String(output)
    }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: ","): 63
        default: nil
        }
    }

    private static func appendUTF16(_ units: [UInt16], to output: inout String.UnicodeScalarView,
                                    offset: Int) throws(DecodingError) {
        var position = 0
        while position < units.count {
            let unit = units[position]
            position += 1
            let value: UInt32
            switch unit {
            case 0xD800...0xDBFF:
                guard position < units.count, (0xDC00...0xDFFF).contains(units[position]) else {
                    throw .invalidUTF16(offset: offset)
                }
                value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(units[position]) - 0xDC00)
                position += 1
            case 0xDC00...0xDFFF:
                throw .invalidUTF16(offset: offset)
            default:
                value = UInt32(unit)
            }
            // Printable ASCII must stand for itself (RFC 3501 §5.1.3).
            if (0x20...0x7E).contains(value) { throw .nonCanonical(offset: offset) }
            guard let scalar = Unicode.Scalar(value) else { throw .invalidUTF16(offset: offset) }
            output.append(scalar)
        }
    }
}
