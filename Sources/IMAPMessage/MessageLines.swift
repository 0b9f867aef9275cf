/// Maildir files keep lines ending in LF (as Dovecot and Tsubame's delivery write them); IMAP
/// serves and counts them with CRLF (RFC 3501 §2.3.4 RFC822.SIZE, §6.4.5 partial offsets).
public enum MessageLines {
    /// Every bare LF becomes CRLF; an existing CRLF stays; a bare CR stays as it is.
    public static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 32 + 2)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { output.append(0x0D) }
            output.append(byte)
            previous = byte
        }
        return output
    }

    /// CRLF becomes LF (APPEND's data, stored as delivery stores it).
    public static func lf(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A {
                index += 1
                continue
            }
            output.append(byte)
            index += 1
        }
        return output
    }
}
