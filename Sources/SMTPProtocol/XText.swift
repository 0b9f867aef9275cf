/// xtext (RFC 3461 §4), the form of MAIL's AUTH parameter (RFC 4954 §5):
/// xtext = *( xchar / hexchar ); xchar = "!".."~" except "+" and "="; hexchar = "+" 2(0-9 / A-F).
enum XText {
    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                guard index + 2 < bytes.count,
                      isUpperHex(bytes[index + 1]), isUpperHex(bytes[index + 2]) else { return false }
                index += 3
                continue
            }
            guard byte >= 33, byte <= 126, byte != UInt8(ascii: "=") else { return false }
            index += 1
        }
        return true
    }

    /// Every octet outside xchar becomes "+" and two upper-case hex digits (RFC 3461 §4).
    static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            if byte >= 33, byte <= 126, byte != UInt8(ascii: "+"), byte != UInt8(ascii: "=") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "+"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUpperHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
