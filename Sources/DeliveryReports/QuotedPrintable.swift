/// Quoted-Printable (RFC 2045 §6.7) for the human-readable part, so it stays 7-bit when it
/// quotes non-ASCII text. Input and output use LF line ends; LF is a hard line break.
enum QuotedPrintable {
    /// Encoded lines are at most 76 characters (rule 5), soft breaks as "=" at the end.
    static func encode(_ text: String) -> String {
        var output = ""
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            var current = ""
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                var piece: String
                let isWhitespace = byte == 0x20 || byte == 0x09
                if (byte >= 0x21 && byte <= 0x7E && byte != 0x3D) || (isWhitespace && !isLast) {
                    piece = String(UnicodeScalar(byte))
                } else {
                    // Rule 3: trailing whitespace is encoded, or transports could strip it.
                    piece = "=" + hex(byte)
                }
                if current.utf8.count + piece.utf8.count > 75 {
                    output += current + "=\n"
                    current = ""
                }
                current += piece
            }
            output += current
            if index < lines.count - 1 { output += "\n" }
        }
        return output
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
