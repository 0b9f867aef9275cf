/// Maildir files keep lines ending in LF (as Dovecot and Tsubame's delivery write them); IMAP
/// serves and counts them with CRLF (RFC 3501 §2.3.4 RFC822.SIZE, §6.4.5 partial offsets).
public enum MessageLines {
    /// Every bare LF becomes CRLF; an existing CRLF stays; a bare CR stays as it is.
    public static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        fatalError("IMAPMessage: not built yet")
    }

    /// CRLF becomes LF (APPEND's data, stored as delivery stores it).
    public static func lf(_ bytes: [UInt8]) -> [UInt8] {
        fatalError("IMAPMessage: not built yet")
    }
}
