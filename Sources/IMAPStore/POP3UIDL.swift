/// The UIDL Tsubame's POP3 has always answered for a message file: its unique base name up to
/// the first "," or ":" (RFC 1939 §7: 1–70 printable characters), else a hash of it.
///
/// This must stay equal to `Maildrop`'s rule in MaildirStore (a test checks the two agree): it
/// goes into the uidlist's `P` field so Dovecot's POP3 answers the same UIDL and clients never
/// download a message twice when a site moves between the servers.
public enum POP3UIDL {
    public static func of(fileName: String) -> String {
        let bytes = fileName.utf8
        let end = bytes.firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ":") } ?? bytes.endIndex
        let unique = String(Substring(bytes[..<end]))
        if !unique.isEmpty, unique.utf8.count <= 70, unique.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            return unique
        }
        // Too long or unprintable: a stable 64-bit FNV-1a hash of it instead.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in unique.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return "H" + String(hash, radix: 16)
    }
}
