import IMAPProtocol
import Testing
@testable import IMAPMessage

@Suite struct MessageLinesTests {
    @Test(arguments: [
        ("a\nb\n", "a\r\nb\r\n"), ("a\r\nb", "a\r\nb"), ("a\rb\n", "a\rb\r\n"), ("", ""), ("\n\n", "\r\n\r\n"),
    ])
    func crlf(_ input: String, _ output: String) {
        #expect(MessageLines.crlf(Array(input.utf8)) == Array(output.utf8))
        #expect(MessageLines.lf(Array(output.utf8)) == Array(input.replacingOccurrences(of: "\r\n", with: "\n").utf8))
    }

    @Test func crlfAgreesWithTheByteRule() {
        // The rule, byte by byte: a LF not after a CR gets one.
        func naive(_ bytes: [UInt8]) -> [UInt8] {
            var output: [UInt8] = [], previous: UInt8 = 0
            for byte in bytes {
                if byte == 0x0A && previous != 0x0D { output.append(0x0D) }
                output.append(byte)
                previous = byte
            }
            return output
        }
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in [UInt8(0x0A), 0x0D, 0x61, 0x00][Int(generator.next() % 4)] }
            #expect(MessageLines.crlf(bytes) == naive(bytes), "\(bytes)")
        }
    }

    /// FETCH ENVELOPE of an uncached message parses the header only: the same envelope.
    @Test func envelopeFromTheHeaderAloneIsTheMessagesEnvelope() {
        for message in DovecotDifferentialTests.messages {
            let whole = ParsedMessage(crlf: MessageLines.crlf(message)).envelope
            #expect(ParsedMessage.envelope(header: message) == whole)
            let text = message
            if let blank = (0..<max(0, text.count - 1)).first(where: { text[$0] == 0x0A && text[$0 + 1] == 0x0A }) {
                #expect(ParsedMessage.envelope(header: Array(text[..<(blank + 2)])) == whole)
            }
        }
    }

    @Test func lfKeepsBareCR() {
        #expect(MessageLines.lf(Array("a\rb\r\n\r".utf8)) == Array("a\rb\n\r".utf8))
    }
}

/// Expected texts are Dovecot 2.3.19's answers for the same messages.
@Suite struct StructureTests {
    @Test func mixedMessage() {
        let message = parse(TrickyMessages.mixed)
        #expect(wire(.envelope(message.envelope)) == #"ENVELOPE ("Tue, 1 Jul 2003 10:52:37 +0200" "=?utf-8?q?caf=C3=A9?= hi" (("Joe Q." NIL "joe" "example.com")(NIL NIL "x" "y")) (("Joe Q." NIL "joe" "example.com")(NIL NIL "x" "y")) (("Joe Q." NIL "joe" "example.com")(NIL NIL "x" "y")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) ((NIL NIL "grp" NIL)(NIL NIL "a" "b")("c d" NIL "c" "d")(NIL NIL NIL NIL)(NIL NIL "e" "f")) NIL NIL "<m1@x>")"#)
        #expect(wire(.bodyStructure(message.bodyStructure)) == #"BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("Text" "HTML" ("Charset" "UTF-8") "<id1>" "desc" "Base64" 16 0 "abc" ("attachment" ("filename" "a.txt")) ("en" "fr") "http://x")("message" "rfc822" NIL NIL NIL "7bit" 33 (NIL "inner" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)("application" "octet-stream" NIL NIL NIL "7bit" 2 NIL NIL NIL NIL) "Mixed" ("boundary" "XX") NIL NIL NIL)"#)
        #expect(wire(.body(message.bodyStructure)) == #"BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0)("Text" "HTML" ("Charset" "UTF-8") "<id1>" "desc" "Base64" 16 0)("message" "rfc822" NIL NIL NIL "7bit" 33 (NIL "inner" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0) 3)("application" "octet-stream" NIL NIL NIL "7bit" 2) "Mixed")"#)
    }

    @Test(arguments: [
        (TrickyMessages.noContentType, #"BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 2 NIL NIL NIL NIL)"#),
        (TrickyMessages.digest, #"BODYSTRUCTURE (("message" "rfc822" NIL NIL NIL "7bit" 18 (NIL NIL ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) "digest" ("boundary" "b") NIL NIL NIL)"#),
        (TrickyMessages.typeWithoutSubtype, #"BODYSTRUCTURE ("text" "" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL)"#),
        (TrickyMessages.multipartWithoutBoundary, #"BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)"#),
    ])
    func structures(_ message: String, _ expected: String) {
        #expect(wire(.bodyStructure(parse(message).bodyStructure)) == expected)
    }

    @Test func emptyMessageIsAnEmptyTextPart() {
        #expect(wire(.bodyStructure(parse("").bodyStructure)) == #"BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)"#)
        #expect(wire(.envelope(parse("").envelope)) == "ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)")
    }

    @Test func addresses() {
        let envelope = parse(TrickyMessages.addresses).envelope
        #expect(envelope.from == [IMAPAddress(name: Array("Mary Smith".utf8), adl: Array("@route.example,@other.example".utf8),
                                              mailbox: Array("mary".utf8), host: Array("x.example".utf8))])
        #expect(envelope.sender == [IMAPAddress(name: Array("Sender, Quoted".utf8), mailbox: Array("sender".utf8), host: Array("example.com".utf8))])
        #expect(envelope.replyTo == [IMAPAddress(mailbox: Array("john doe".utf8), host: Array("example.com".utf8))])
        // Dovecot drops the white space after the colon only.
        #expect(utf8String(envelope.messageID) == "<spaced@example.com>   ")
        #expect(envelope.to.map { [utf8String($0.name), utf8String($0.mailbox), utf8String($0.host)] } == [
            [nil, "foo", "MISSING_DOMAIN"], [nil, "MISSING_MAILBOX", "MISSING_DOMAIN"], ["Pete", "pete", "silly.test"]])
        #expect(utf8String(envelope.inReplyTo) == "<parent@example.com>")
        let cc = envelope.cc.map { [utf8String($0.name), utf8String($0.mailbox), utf8String($0.host)] }
        #expect(cc == [[nil, "A Group", nil], ["Ed Jones", "c", "a.test"], [nil, "joe", "where.test"], ["John", "jdoe", "one.test"],
                       [nil, nil, nil], [nil, "Empty Group", nil], [nil, nil, nil]])
        #expect(envelope.bcc.map { utf8String($0.mailbox) } == ["a", "MISSING_MAILBOX", "c"])
    }

    @Test(arguments: [
        (TrickyMessages.oddAddresses, #"ENVELOPE (NIL NIL ((NIL NIL "a" "b")) (("Quoted x" NIL "q" "x")) ((NIL NIL "user" "[1.2.3.4]")) (("Comment Name" NIL "a" "b")(NIL NIL "empty" "name")(NIL NIL "first.last" "dot.example")("a@b" NIL "c" "d")) (("=?utf-8?q?Gr=C3=BCn?=" NIL "gruen" "example.de")(NIL NIL "undisclosed" NIL)(NIL NIL NIL NIL)(NIL NIL "x" "y")) NIL "<x@y> <z@w>" "<a@b> (comment)")"#),
        (TrickyMessages.crInside, #"ENVELOPE (NIL "cr inside" NIL NIL NIL NIL NIL NIL NIL NIL)"#),
        (TrickyMessages.upperCaseMultipart, #"ENVELOPE (NIL "second" NIL NIL NIL NIL NIL NIL NIL NIL)"#),
    ])
    func envelopes(_ message: String, _ expected: String) {
        #expect(wire(.envelope(parse(message).envelope)) == expected)
    }

    @Test func tenThousandAddressesStayLinear() {
        let list = (0..<10_000).map { "\"User \($0)\" <user\($0)@example.com>" }.joined(separator: ",\n ")
        let message = parse("To: \(list)\nSubject: many\n\nbody\n")
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(message.envelope.to.count == 1_000) }
        #expect(elapsed < .seconds(5))
        let all = parse("To: \(list)\n\nx\n", limits: MIMELimits(maximumAddresses: 20_000))
        #expect(all.envelope.to.count == 10_000)
        #expect(utf8String(all.envelope.to[9_999].mailbox) == "user9999")
    }

    @Test func nestingBombIsCutAtTheLimit() {
        // 10,000 nested multiparts, each with its own boundary (none a prefix of another: a
        // delimiter line only has to start with the boundary).
        var text = ""
        for level in 0..<10_000 { text += "Content-Type: multipart/mixed; boundary=b\(level)x\n\n--b\(level)x\n" }
        text += "\nleaf\n"
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            let message = parse(text)
            var depth = 0
            var structure = message.bodyStructure
            while case .multipart(let multipart) = structure, let first = multipart.parts.first {
                depth += 1
                structure = first
            }
            #expect(depth == MIMELimits().maximumDepth)
            guard case .singlePart(let opaque) = structure else { return }
            #expect(utf8String(opaque.type) == "application")
            _ = IMAPResponseEncoder.encodeFetchItem(.bodyStructure(message.bodyStructure))
        }
        #expect(elapsed < .seconds(10))
        // message/rfc822 nesting too.
        let messages = String(repeating: "Content-Type: message/rfc822\n\n", count: 5_000) + "inner\n"
        let parsed = parse(messages)
        #expect(parsed.section(IMAPSection(part: Array(repeating: 1, count: 20))) != nil)
        // Past the depth limit the part is opaque: nothing below it.
        #expect(parsed.section(IMAPSection(part: Array(repeating: 1, count: 40))) == nil)
        _ = parsed.bodyStructure
    }

    @Test func partLimitMakesTheRestOnePart() {
        let parts = (0..<50).map { "--b\nContent-Type: text/plain\n\npart \($0)\n" }.joined()
        let message = parse("Content-Type: multipart/mixed; boundary=b\n\n\(parts)--b--\n", limits: MIMELimits(maximumParts: 10))
        guard case .multipart(let multipart) = message.bodyStructure else { Issue.record("no multipart"); return }
        #expect(multipart.parts.count == 10)
    }

    @Test func rfc2231ContinuationsAreJoined() {
        let message = parse(TrickyMessages.rfc2231)
        guard case .singlePart(let part) = message.bodyStructure else { Issue.record("not single"); return }
        #expect(part.fields.parameters.map { utf8String($0.name) } == ["title*"])
        #expect(utf8String(part.fields.parameters.first?.value) == "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!")
        #expect(part.extensionData?.dispositionParameters.map { utf8String($0.name) } == ["filename*"])
    }

    @Test(arguments: [
        ("Tue, 1 Jul 2003 10:52:37 +0200", IMAPDate(year: 2003, month: 7, day: 1)),
        ("13 Feb 97 22:01 EST", IMAPDate(year: 1997, month: 2, day: 13)),
        ("Mon, 2 Jan 23 00:30:00 -0800 (PST)", IMAPDate(year: 2023, month: 1, day: 2)),
        ("  5 dec 2024 1:2:3 GMT", IMAPDate(year: 2024, month: 12, day: 5)),
    ])
    func sentDate(_ value: String, _ date: IMAPDate) {
        #expect(parse("Date: \(value)\n\nx").sentDate == date)
    }

    @Test func unreadableDateIsNil() {
        #expect(parse("Date: yesterday\n\nx").sentDate == nil)
        #expect(parse("Subject: x\n\nx").sentDate == nil)
    }
}
