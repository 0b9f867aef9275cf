import Testing
@testable import IMAPStore

@Suite struct ModifiedUTF7Tests {
    static let pairs: [(decoded: String, encoded: String)] = [
        ("INBOX", "INBOX"),
        ("", ""),
        ("&", "&-"),
        ("Tom & Jerry", "Tom &- Jerry"),
        // RFC 3501 §5.1.3's example.
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        // Dovecot's folder name in notes-imap.md.
        ("Entwürfe", "Entw&APw-rfe"),
        ("Gesendete Objekte", "Gesendete Objekte"),
        ("Корзина", "&BBoEPgRABDcEOAQ9BDA-"),
        ("€", "&IKw-"),
        ("😀", "&2D3eAA-"),
        ("a\u{1}b", "a&AAE-b"),
        ("日本&語", "&ZeVnLA-&-&ip4-"),
    ]

    @Test(arguments: pairs)
    func encodesAndDecodes(_ pair: (decoded: String, encoded: String)) throws {
        #expect(ModifiedUTF7.encode(pair.decoded) == pair.encoded)
        #expect(try ModifiedUTF7.decode(pair.encoded) == pair.decoded)
    }

    static let invalid: [(String, ModifiedUTF7.DecodingError)] = [
        ("&", .unterminatedShift(offset: 0)),
        ("a&U,BTFw", .unterminatedShift(offset: 1)),
        ("&U=BTFw-", .invalidBase64(offset: 2)),
        ("&U/BTFw-", .invalidBase64(offset: 2)),
        ("&-&", .unterminatedShift(offset: 2)),
        // "&AGE-" is "a" encoded: printable ASCII must stand for itself.
        ("&AGE-", .nonCanonical(offset: 0)),
        // Two shifts back to back: an encoder writes one.
        ("&U,A-&U,A-", .nonCanonical(offset: 5)),
        // Padding bits that are not zero ("APw" ends ...110000; "APx" sets one).
        ("Entw&APx-rfe", .badPadding(offset: 4)),
        // A character too many: 6 leftover bits.
        ("&APwA-", .badPadding(offset: 0)),
        ("&x", .unterminatedShift(offset: 0)),
        ("Entw\u{fc}rfe", .unencodedCharacter(offset: 4)),
        ("tab\there", .unencodedCharacter(offset: 3)),
        // A lone high surrogate.
        ("&2D0-", .invalidUTF16(offset: 0)),
        // A lone low surrogate.
        ("&3gA-", .invalidUTF16(offset: 0)),
    ]

    @Test(arguments: invalid)
    func rejectsNonCanonicalForms(_ entry: (String, ModifiedUTF7.DecodingError)) {
        #expect(throws: entry.1) { try ModifiedUTF7.decode(entry.0) }
    }

    @Test func roundTripsRandomNames() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let scalars = (0..<Int.random(in: 1...12, using: &generator)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: 0x20...0x2FFFF, using: &generator))
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            #expect(try ModifiedUTF7.decode(ModifiedUTF7.encode(text)) == text)
        }
    }
}
