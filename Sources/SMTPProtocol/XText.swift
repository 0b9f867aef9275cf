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

    private static func isUpperHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
