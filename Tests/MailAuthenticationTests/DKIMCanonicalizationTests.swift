import Crypto
import Foundation
import Testing
@testable import MailAuthentication

@Suite struct DKIMCanonicalizationTests {
    /// RFC 6376 §3.4.5's example message.
    static let example = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n"

    static func sha(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    @Test func relaxedHeaderMatchesRFC6376Example() {
        let message = dkimScan(Self.example)
        #expect(message.headerFields.map(\.name) == ["A", "B"])
        let canonical = message.headerFields.map { DKIMHeaderCanonicalization.relaxed($0.raw) }
        #expect(canonical.map { String(decoding: $0, as: UTF8.self) } == ["a:X\r\n", "b:Y Z\r\n"])
        // Simple keeps the field exactly as received (CRLF form).
        #expect(message.headerFields[1].raw == Array("B : Y\t\r\n\tZ  \r\n".utf8))
    }

    @Test func bodyCanonicalizationMatchesRFC6376Example() {
        let relaxed = dkimScan(Self.example, .signing)
        #expect(relaxed.bodyHashes[BodyHashKey(canonicalization: .relaxed, limit: nil)]?.digest == Self.sha(" C\r\nD E\r\n"))
        var hasher = BodyHasher(BodyHashKey(canonicalization: .simple, limit: nil))
        for line in [" C ", "D \t E", "", ""] {
            Array(line.utf8).withUnsafeBytes { hasher.update($0) }
            hasher.endLine()
        }
        #expect(hasher.finish().digest == Self.sha(" C \r\nD \t E\r\n"))
    }

    @Test(arguments: [
        // (body in local form, relaxed canonical, simple canonical)
        ("", "", "\r\n"),
        ("\n\n\n", "", "\r\n"),
        ("abc", "abc\r\n", "abc\r\n"),
        ("abc\n\n\n\n", "abc\r\n", "abc\r\n"),
        ("a  b\t\tc  \n", "a b c\r\n", "a  b\t\tc  \r\n"),
        ("  lead\n", " lead\r\n", "  lead\r\n"),
        ("x\n   \n\t\ny\n", "x\r\n\r\n\r\ny\r\n", "x\r\n   \r\n\t\r\ny\r\n"),
        ("x\n \n", "x\r\n", "x\r\n \r\n"),
        ("é ü\n", "é ü\r\n", "é ü\r\n"),
    ])
    func bodyCanonicalization(body: String, relaxed: String, simple: String) {
        for pieceSize in [1, 3, 1000] {
            let message = dkimScan("From: a@b.example\n\n" + body, .signing, pieceSize: pieceSize)
            #expect(message.bodyHashes[BodyHashKey(canonicalization: .relaxed, limit: nil)]?.digest == Self.sha(relaxed))
            var hasher = BodyHasher(BodyHashKey(canonicalization: .simple, limit: nil))
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
            for (index, line) in lines.enumerated() {
                Array(line.utf8).withUnsafeBytes { hasher.update($0) }
                if index < lines.count - 1 { hasher.endLine() }
            }
            #expect(hasher.finish().digest == Self.sha(simple))
        }
    }

    @Test func bodyLengthLimitsWhatIsHashed() {
        var hasher = BodyHasher(BodyHashKey(canonicalization: .relaxed, limit: 5))
        Array("hello world".utf8).withUnsafeBytes { hasher.update($0) }
        hasher.endLine()
        let hash = hasher.finish()
        #expect(hash.digest == Self.sha("hello"))
        #expect(hash.hashedLength == 5)
        #expect(hash.canonicalLength == 13)
    }

    @Test func headerSelectionIsBottomUpAndSkipsMissingInstances() {
        let message = dkimScan("Received: one\nTo: a\nReceived: two\nTo: b\n\n")
        let data = DKIMHeaderCanonicalization.selectedFields(message.headerFields,
                                                             names: ["to", "To", "to", "received"], .relaxed)
        #expect(String(decoding: data, as: UTF8.self) == "to:b\r\nto:a\r\nreceived:two\r\n")
    }

    @Test func signatureValueIsRemovedForHashing() {
        let raw = Array("DKIM-Signature: v=1; b=abc\r\n def; bh=xyz;\r\n".utf8)
        let stripped = DKIMHeaderCanonicalization.removingSignatureValue(raw)
        #expect(String(decoding: stripped, as: UTF8.self) == "DKIM-Signature: v=1; b=; bh=xyz;\r\n")
        let atEnd = Array("DKIM-Signature: v=1; bh=xyz; b=abc\r\n def\r\n".utf8)
        let forHash = DKIMHeaderCanonicalization.signatureFieldForHashing(atEnd, .relaxed)
        #expect(String(decoding: forHash, as: UTF8.self) == "dkim-signature:v=1; bh=xyz; b=")
    }

    @Test func tagListParsing() throws {
        let list = try DKIMTagList(parsing: Array(" v = 1 ;\r\n\ta=rsa-sha256; b= ab\r\n cd ;".utf8))
        #expect(list["v"] == "1")
        #expect(list["a"] == "rsa-sha256")
        #expect(list["b"] == "ab\r\n cd")
        #expect(list.tags.count == 3)
        #expect(throws: DKIMTagList.ParseError.duplicate("a")) { try DKIMTagList(parsing: Array("a=1; a=2".utf8)) }
        #expect(throws: DKIMTagList.ParseError.emptyTagSpec) { try DKIMTagList(parsing: Array("a=1;;b=2".utf8)) }
        #expect(throws: DKIMTagList.ParseError.emptyTagSpec) { try DKIMTagList(parsing: Array("".utf8)) }
        #expect(throws: DKIMTagList.ParseError.missingEquals("b")) { try DKIMTagList(parsing: Array("a=1; b".utf8)) }
        #expect(throws: DKIMTagList.ParseError.badTagName("1a")) { try DKIMTagList(parsing: Array("1a=1".utf8)) }
        #expect(throws: DKIMTagList.ParseError.badValue("a")) { try DKIMTagList(parsing: Array("a=x;y".utf8).map { $0 == 0x3B ? 0x01 : $0 }) }
        #expect(throws: DKIMTagList.ParseError.tooManyTags) {
            try DKIMTagList(parsing: Array((0..<100).map { "t\($0)=x" }.joined(separator: ";").utf8))
        }
    }
}

@Suite struct DKIMContentScannerTests {
    @Test func headerFieldsKeepCaseAndFolding() {
        let message = dkimScan("Subject: a\n  folded\nfrom : Ann <ann@Example.COM>\n\nbody\n")
        #expect(message.headerFields.map(\.name) == ["Subject", "from"])
        #expect(message.headerFields[0].raw == Array("Subject: a\r\n  folded\r\n".utf8))
        #expect(message.headerFields[0].unfoldedValue == "a  folded")
        #expect(message.fromDomain == "example.com")
        #expect(!message.headerTooLarge)
    }

    @Test func headerEndingAtEOFIsKept() {
        #expect(dkimScan("From: a@b.example\nTo: c@d.example").headerFields.map(\.name) == ["From", "To"])
        #expect(dkimScan("From: a@b.example\n").headerFields.map(\.name) == ["From"])
        #expect(dkimScan("").headerFields.isEmpty)
    }

    @Test func tooManyFieldsMarkTheHeaderTooLarge() {
        let text = String(repeating: "X-A: b\n", count: 1500) + "From: a@b.example\n\nbody\n"
        let message = dkimScan(text, .signing, pieceSize: 4096)
        #expect(message.headerTooLarge)
        #expect(message.headerFields.count == DKIMContentScanner.maximumHeaderFields)
        // The body is still found and hashed.
        #expect(message.bodyHashes[BodyHashKey(canonicalization: .relaxed, limit: nil)]?.digest
                == Array(SHA256.hash(data: Array("body\r\n".utf8))))
    }

    @Test func aHugeFieldMarksTheHeaderTooLarge() {
        let text = "From: a@b.example\nX-Big: " + String(repeating: "y", count: 200_000) + "\n\nbody\n"
        let message = dkimScan(text, .signing, pieceSize: 10_000)
        #expect(message.headerTooLarge)
        #expect(message.headerFields.map(\.name) == ["From"])
        #expect(message.bodyHashes[BodyHashKey(canonicalization: .relaxed, limit: nil)]?.hashedLength == 6)
    }

    @Test func headerFieldFromText() throws {
        let field = try #require(MessageHeaderField(text: "Message-ID: <x@y>\n"))
        #expect(field.name == "Message-ID")
        #expect(field.raw == Array("Message-ID: <x@y>\r\n".utf8))
        #expect(MessageHeaderField(text: "Date: Mon,\n 1 Dec 2025")?.raw == Array("Date: Mon,\r\n 1 Dec 2025\r\n".utf8))
        #expect(MessageHeaderField(text: "no colon\n") == nil)
        #expect(MessageHeaderField(text: ": empty name\n") == nil)
    }

    @Test(arguments: [
        ("From: ann@example.com", "example.com"),
        ("From: \"Ann, Smith\" <ann@Example.com>", "example.com"),
        ("From: Ann (comment, with comma) <ann@example.com>", "example.com"),
        ("From: \"a@evil.example\" <ann@example.com>", "example.com"),
        ("From: ann@example.com, bob@example.net", nil),
        ("From: group: ann@example.com;", nil),
        ("From: nobody", nil),
        ("From: <>", nil),
        ("From: ann@", nil),
    ] as [(String, String?)])
    func fromDomain(field: String, domain: String?) {
        #expect(dkimScan(field + "\n\n").fromDomain == domain)
    }

    @Test func twoFromFieldsHaveNoFromDomain() {
        #expect(dkimScan("From: a@x.example\nFrom: a@x.example\n\n").fromDomain == nil)
        #expect(dkimScan("To: a@x.example\n\n").fromDomain == nil)
    }
}
