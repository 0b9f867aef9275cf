import IMAPProtocol
import Testing
@testable import IMAPMessage

@Suite struct SectionTests {
    static let nested = parse(TrickyMessages.nested)

    static func section(_ part: [Int], _ text: IMAPSection.Text? = nil) -> String? {
        utf8String(nested.section(IMAPSection(part: part, text: text)))
    }

    @Test func wholeHeaderAndText() throws {
        let bytes = Self.nested.bytes
        #expect(Self.nested.section(.whole) == bytes)
        let header = try #require(Self.section([], .header))
        #expect(header.hasPrefix("From: nest@example.org\r\n"))
        #expect(header.hasSuffix("boundary=\"outer\"\r\n\r\n"))
        let body = try #require(Self.section([], .text))
        #expect(Array((header + body).utf8) == bytes)
    }

    @Test func numberedParts() {
        #expect(Self.section([1, 1]) == "caf=E9 au lait=\r\n soft break")
        #expect(Self.section([1, 2]) == "<p>html</p>")
        #expect(Self.section([1, 2], .mime) == "Content-Type: text/html; format=flowed\r\n\r\n")
        #expect(Self.section([3]) == "last part, no close delimiter\r\n")
        #expect(Self.section([4]) == nil)
        #expect(Self.section([1, 3]) == nil)
        // Dovecot: `1` below a single part is that part.
        #expect(Self.section([3, 1]) == "last part, no close delimiter\r\n")
        #expect(Self.section([1, 1, 1]) == "caf=E9 au lait=\r\n soft break")
        #expect(Self.section([3, 2]) == nil)
        #expect(Self.section([0]) == nil)
    }

    @Test func messageRFC822Parts() {
        #expect(Self.section([2], .header) == "From: Inner Person <inner@example.net>\r\nSubject: enclosed\r\nContent-Type: multipart/mixed; boundary=\"deep\"\r\n\r\n")
        #expect(Self.section([2], .mime) == "Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n")
        #expect(Self.section([2, 1]) == "deep one")
        #expect(Self.section([2, 2]) == "iVBORw0KGgo=")
        #expect(Self.section([2, 2], .mime) == "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n")
        #expect(Self.section([2], .headerFields([Array("subject".utf8)])) == "Subject: enclosed\r\n\r\n")
        #expect(Self.section([2], .text)?.hasPrefix("--deep\r\n") == true)
        // HEADER of a part that is no message: nothing.
        #expect(Self.section([1, 1], .header) == nil)
    }

    @Test func headerFieldsKeepMessageOrderAndFolding() {
        let message = parse(TrickyMessages.crlfFolding)
        let fields = message.section(IMAPSection(text: .headerFields([Array("FROM".utf8), Array("x-long".utf8)])))
        #expect(utf8String(fields) == "X-Long: a\r\n  b\r\n   c\r\nFrom: fold@example.com\r\n\r\n")
        let not = message.section(IMAPSection(text: .headerFieldsNot([Array("subject".utf8), Array("X-LONG".utf8)])))
        #expect(utf8String(not) == "From: fold@example.com\r\nX-Empty:\r\n\r\n")
        let none = message.section(IMAPSection(text: .headerFields([Array("absent".utf8)])))
        #expect(utf8String(none) == "\r\n")
    }

    @Test func singlePartMessage() {
        let message = parse(TrickyMessages.noContentType)
        #expect(utf8String(message.section(IMAPSection(part: [1]))) == "hello\r\nworld\r\n")
        #expect(utf8String(message.section(IMAPSection(part: [1], text: .mime))) == "Subject: no ct\r\n\r\n")
        #expect(message.section(IMAPSection(part: [2])) == nil)
        #expect(message.section(IMAPSection(part: [1, 1])) == nil)  // as Dovecot
    }

    @Test func headerOnlyMessage() {
        let message = parse(TrickyMessages.headerOnly)
        #expect(utf8String(message.section(IMAPSection(text: .text))) == "")
        #expect(utf8String(message.section(IMAPSection(text: .header))) == "From: only@header.example\r\nSubject: no body")
    }
}

@Suite struct FetchResponderTests {
    static let metadata = MessageMetadata(uid: 42, flags: [.seen, .keyword("$Junk")], internalDate: 1_700_000_000, size: 123)

    @Test func needAndSeen() {
        #expect(FetchResponder.need([.flags, .uid, .rfc822Size, .internalDate]) == .metadata)
        for attribute: IMAPFetchAttribute in [.envelope, .body, .bodyStructure, .rfc822, .rfc822Header, .rfc822Text,
                                              .bodySection(.whole, partial: nil, peek: true)] {
            #expect(FetchResponder.need([.flags, attribute]) == .content)
        }
        #expect(FetchResponder.setsSeen([.bodySection(.whole, partial: nil, peek: false)]))
        #expect(!FetchResponder.setsSeen([.bodySection(.whole, partial: nil, peek: true), .rfc822Header, .envelope]))
        #expect(FetchResponder.setsSeen([.rfc822]))
        #expect(FetchResponder.setsSeen([.rfc822Text]))
    }

    @Test func metadataItems() {
        let items = FetchResponder.items(for: [.flags, .internalDate, .rfc822Size], metadata: Self.metadata, message: nil, includeUID: true)
        #expect(items.map(wire) == ["UID 42", "FLAGS (\\Seen $Junk)", "INTERNALDATE \"14-Nov-2023 22:13:20 +0000\"", "RFC822.SIZE 123"])
        let withUID = FetchResponder.items(for: [.flags, .uid], metadata: Self.metadata, message: nil, includeUID: true)
        #expect(withUID.map(wire) == ["FLAGS (\\Seen $Junk)", "UID 42"])
    }

    @Test(arguments: [
        (0, "01-Jan-1970 00:00:00 +0000"), (951_782_400, "29-Feb-2000 00:00:00 +0000"),
        (-1, "31-Dec-1969 23:59:59 +0000"), (4_102_444_799, "31-Dec-2099 23:59:59 +0000"),
    ])
    func dateTime(_ seconds: Int, _ expected: String) {
        #expect(FetchResponder.dateTime(seconds).text == expected)
    }

    @Test func sectionsAndPartials() {
        let message = parse(TrickyMessages.noContentType)
        func answer(_ attribute: IMAPFetchAttribute) -> String {
            FetchResponder.items(for: [attribute], metadata: Self.metadata, message: message, includeUID: false).map(wire).joined()
        }
        #expect(answer(.bodySection(IMAPSection(part: [1]), partial: IMAPPartial(offset: 0, length: 3), peek: true)) == "BODY[1]<0> {3}\r\nhel")
        #expect(answer(.bodySection(IMAPSection(text: .text), partial: IMAPPartial(offset: 2, length: 100), peek: false)) == "BODY[TEXT]<2> {12}\r\nllo\r\nworld\r\n")
        #expect(answer(.bodySection(IMAPSection(part: [1]), partial: IMAPPartial(offset: 100, length: 5), peek: true)) == "BODY[1]<100> {0}\r\n")
        #expect(answer(.bodySection(IMAPSection(part: [9]), partial: nil, peek: true)) == "BODY[9] {0}\r\n")
        #expect(answer(.rfc822Header) == "RFC822.HEADER {18}\r\nSubject: no ct\r\n\r\n")
        #expect(answer(.rfc822Text) == "RFC822.TEXT {14}\r\nhello\r\nworld\r\n")
        #expect(answer(.rfc822) == "RFC822 {32}\r\nSubject: no ct\r\n\r\nhello\r\nworld\r\n")
        #expect(answer(.body) == #"BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 2)"#)
    }
}
