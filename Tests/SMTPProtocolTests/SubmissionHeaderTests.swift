import Testing
@testable import SMTPProtocol

/// The header of a submitted message: the From addresses to check (RFC 6409 §4.1) and the
/// fields whose absence submission repairs (RFC 6409 §8).
@Suite("Submission header scanner and From parsing")
struct SubmissionHeaderTests {
    func scan(_ text: String, pieces: Int = 1) -> SubmissionHeaderScanner {
        var scanner = SubmissionHeaderScanner()
        let bytes = Array(text.utf8)
        let size = max(1, bytes.count / pieces)
        var index = 0
        while index < bytes.count {
            scanner.scan(bytes[index..<min(bytes.count, index + size)])
            index += size
        }
        scanner.finish()
        return scanner
    }

    @Test(arguments: [1, 3, 1000])
    func findsFromMessageIDAndDateInAnyPieces(pieces: Int) {
        let scanner = scan("Subject: hi\nFrom: Alice <alice@test.example>\nMessage-ID: <1@x>\nDate: now\n\nFrom: body@x\n",
                           pieces: pieces)
        #expect(scanner.fromAddresses == ["alice@test.example"])
        #expect(scanner.hasMessageID && scanner.hasDate)
    }

    @Test func headerEndsAtTheFirstEmptyLine() {
        let scanner = scan("From: a@b.example\n\nMessage-ID: <x@y>\nDate: today\n")
        #expect(!scanner.hasMessageID && !scanner.hasDate)
        #expect(scanner.fromAddresses == ["a@b.example"])
    }

    @Test func namesAreCaseInsensitiveAndMayHaveSpaceBeforeTheColon() {
        let scanner = scan("FROM : a@b.example\nmessage-id: <x@y>\nDATE:x\n\n")
        #expect(scanner.fromAddresses == ["a@b.example"] && scanner.hasMessageID && scanner.hasDate)
    }

    @Test func foldedFromIsUnfolded() {
        let scanner = scan("From: Alice\n <alice@test.example>,\n\t\"Bob, B.\" <bob@test.example>\nTo: x@y\n\n")
        #expect(scanner.fromAddresses == ["alice@test.example", "bob@test.example"])
    }

    @Test func everyFromFieldCounts() {
        let scanner = scan("From: a@b.example\nFrom: evil@other.example\n\n")
        #expect(scanner.fromAddresses == ["a@b.example", "evil@other.example"])
    }

    @Test func resentFromAndSimilarNamesAreNotFrom() {
        let scanner = scan("Resent-From: x@y.example\nFromage: z@y.example\n\n")
        #expect(scanner.fromAddresses == [])
    }

    @Test func noFromFieldIsNothingToCheck() {
        #expect(scan("Subject: x\n\nbody\n").fromAddresses == [])
        #expect(scan("").fromAddresses == [])
    }

    @Test func aLineThatIsNotAFieldEndsTheHeader() {
        let scanner = scan("Subject: x\nthis is body text\nFrom: late@x.example\n")
        #expect(scanner.fromAddresses == [])
        #expect(scanner.isComplete)
    }

    @Test func headerOverTheLimitCannotBeChecked() {
        let big = "X-Filler: " + String(repeating: "a", count: SubmissionHeaderScanner.maximumHeaderOctets) + "\n"
        let scanner = scan(big + "From: hidden@other.example\n\n")
        #expect(scanner.isTooLarge)
        #expect(scanner.fromAddresses == nil)
    }

    @Test func fromOverTheLimitCannotBeChecked() {
        let list = (0..<2000).map { "u\($0)@x.example" }.joined(separator: ", ")
        #expect(scan("From: \(list)\n\n").fromAddresses == nil)
    }

    // MARK: RFC 5322 §3.4 address lists

    @Test(arguments: [
        ("alice@test.example", ["alice@test.example"]),
        ("<alice@test.example>", ["alice@test.example"]),
        ("Alice <alice@test.example>", ["alice@test.example"]),
        ("\"Alice <bob@other.example>\" <alice@test.example>", ["alice@test.example"]),
        ("\"Doe, John\" <j@test.example>, k@test.example", ["j@test.example", "k@test.example"]),
        ("alice@test.example (Alice (the real one))", ["alice@test.example"]),
        ("(comment <evil@x>) alice@test.example", ["alice@test.example"]),
        ("Friends: a@test.example, B <b@test.example>;", ["a@test.example", "b@test.example"]),
        ("undisclosed-recipients:;", []),
        ("J. Doe <j@test.example>", ["j@test.example"]),
        ("<@route.example,@other.example:j@test.example>", ["j@test.example"]),
        ("\"quoted local\"@test.example", ["\"quoted local\"@test.example"]),
        ("a@test.example,, b@test.example", ["a@test.example", "b@test.example"]),
        ("a @ test . example", ["a@test.example"]),
        ("user@[192.0.2.1]", ["user@[192.0.2.1]"]),
    ])
    func parsesAddressLists(text: String, addresses: [String]) {
        #expect(HeaderAddressList.parse(text) == addresses)
    }

    @Test(arguments: [
        "Alice",                       // a display name without an address
        "<alice@test.example",         // unclosed angle
        "\"unclosed@test.example",
        "(unclosed comment alice@test.example",
        "alice",
        "@test.example",
        "alice@",
        "A <a@test.example> trailing",
        "Group: a@test.example",       // group without ";"
        "a b@test.example",
    ])
    func refusesWhatIsNotAnAddressList(text: String) {
        #expect(HeaderAddressList.parse(text) == nil)
    }

    @Test func fromWithoutAnyAddressIsUnreadable() {
        #expect(scan("From: Alice\n\n").fromAddresses == nil)
        #expect(scan("From: \n\n").fromAddresses == nil)
    }

    // MARK: The fix-ups in the prefix (RFC 6409 §8.3, §8.1)

    @Test func traceHeadersCarryTheAddedFieldsAfterReceived() {
        var trace = TraceHeaders(reversePath: .null, clientName: "c", clientAddress: "192.0.2.1", serverName: "mx.test",
                                 protocolName: "ESMTPSA", id: "ID1", singleRecipient: nil, date: "Sun, 29 Nov 2026 19:30:00 +0000")
        trace.addedMessageID = "<ID1@mx.test>"
        trace.addedDate = trace.date
        let lines = trace.rendered.split(separator: "\n").map(String.init)
        #expect(lines.first == "Return-Path: <>")
        #expect(lines.suffix(2) == ["Message-ID: <ID1@mx.test>", "Date: Sun, 29 Nov 2026 19:30:00 +0000"])
        #expect(trace.rendered.contains("with ESMTPSA id ID1"))
    }
}
