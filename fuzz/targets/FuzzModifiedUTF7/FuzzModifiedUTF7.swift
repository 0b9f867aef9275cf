import FuzzSupport
import IMAPStore

/// Modified UTF-7 (RFC 3501 §5.1.3) and mailbox names, chosen by the first byte.
///
/// Even: the rest as a name from a client or a directory: `ModifiedUTF7.decode` never traps,
/// and what it accepts is canonical (encoding the result gives back the very input, so two
/// spellings can never reach one folder). `MailboxName(imap:)` and `MailboxName(directoryName:)`
/// never trap; a name they accept writes back to the input (INBOX aside, which any case names)
/// and its directory name reads back to the same name.
///
/// Odd: the rest as UTF-8 text: the encoding is printable US-ASCII and decodes back to the text.
func fuzzModifiedUTF7(_ input: FuzzInput) {
    var input = input
    let decodeSide = input.byte() & 1 == 0
    let bytes = input.rest()
    let text = String(decoding: bytes, as: UTF8.self)
    if decodeSide {
        if let decoded = try? ModifiedUTF7.decode(text) {
            precondition(ModifiedUTF7.encode(decoded) == text, "not canonical: \(bytes)")
        }
        if let name = try? MailboxName(imap: text) {
            if !name.isInbox { precondition(name.imapName == text, "name \(name.levels) writes \(name.imapName), read \(text)") }
            if let directory = name.directoryName {
                precondition(MailboxName(directoryName: directory) == name, "directory \(directory) of \(name.levels)")
            }
        }
        if let name = MailboxName(directoryName: text) {
            precondition(name.directoryName == text, "directory \(text) writes back as \(String(describing: name.directoryName))")
        }
    } else {
        let encoded = ModifiedUTF7.encode(text)
        precondition(encoded.utf8.allSatisfy { (0x20...0x7E).contains($0) }, "unprintable: \(Array(encoded.utf8))")
        precondition((try? ModifiedUTF7.decode(encoded)) == text, "round trip of \(Array(text.unicodeScalars)) via \(encoded)")
    }
}
