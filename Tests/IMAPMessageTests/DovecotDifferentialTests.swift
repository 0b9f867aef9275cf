import Foundation
import IMAPProtocol
import Testing
@testable import IMAPMessage

/// The same messages in a Maildir, asked of Dovecot 2.3 and of IMAPMessage: ENVELOPE,
/// BODYSTRUCTURE, BODY.PEEK[section]s and SEARCH keys must come out byte for byte the same.
/// Deliberate differences are listed where they are skipped.
@Suite(.serialized, .enabled(if: DovecotPeer.available)) struct DovecotDifferentialTests {
    /// The tricky messages plus Japanese bodies in three charsets (for SEARCH BODY).
    static let messages: [[UInt8]] = {
        var messages = TrickyMessages.all.map { Array($0.text.utf8) }
        let japanese = "日本語のメール"
        func message(_ charset: String, _ encoding: String.Encoding?, raw: [UInt8]? = nil) -> [UInt8] {
            let header = "From: jp@example.jp\nSubject: \(charset)\nContent-Type: text/plain; charset=\(charset)\n\n"
            let body = raw ?? Array(japanese.data(using: encoding!)!)
            return Array(header.utf8) + body + [0x0A]
        }
        messages.append(message("Shift_JIS", .shiftJIS))
        messages.append(message("ISO-2022-JP", .iso2022JP))
        // 日本 in EUC-JP
        messages.append(message("EUC-JP", nil, raw: [0xC6, 0xFC, 0xCB, 0xDC]))
        return messages
    }()

    static let sections = [
        "[]", "[HEADER]", "[TEXT]", "[1]", "[2]", "[3]", "[1.MIME]", "[2.MIME]", "[3.MIME]", "[2.1]", "[2.2]",
        "[3.HEADER]", "[3.TEXT]", "[3.1]", "[3.2]", "[3.1.MIME]", "[2.1.MIME]", "[1.1]", "[4]",
        "[HEADER.FIELDS (SUBJECT FROM)]", "[HEADER.FIELDS.NOT (SUBJECT X-LONG)]", "[3.HEADER.FIELDS (SUBJECT)]",
        "[1]<0.3>", "[TEXT]<5.10>", "[]<100000.5>",
    ]

    static let searches = [
        "ALL", "FROM joe", "FROM example", "TO nihongo", "TO 日本語", "CC group", "SUBJECT café", "SUBJECT 日本",
        "SUBJECT €uro", "SUBJECT hi", "BODY hello", "BODY café", "BODY crème", "BODY strasse", "BODY grüsse",
        "BODY GRÜSSE", "BODY 日本", "BODY 日本語", "BODY html", "BODY iVBOR", "BODY deep", "TEXT inner", "TEXT \"no body\"",
        "HEADER X-Empty \"\"", "HEADER Message-ID spaced", "HEADER content-type MIXED", "NOT BODY a",
        "OR SUBJECT nested BODY lait", "SENTSINCE 1-Jan-2023", "SENTBEFORE 1-Jan-2000", "SENTON 1-Jul-2003",
        "SENTON 2-Jan-2023", "LARGER 300", "SMALLER 100", "1:3,7", "UID 2:*", "BODY soft", "BCC c@d",
        "FROM MISSING", "TO foo", "TEXT From:", "FROM Andr", "BODY x@y", "BODY Content-Type", "BODY epilogue",
        "TEXT preamble", "BODY \"Inner Person\"", "TEXT boundary", "TEXT \"Inner Person\"", "TEXT plain", "BODY image",
        "TEXT image", "BODY data", "BODY <p>", "SUBJECT \"and =?iso\"", "BODY メール", "NOT TEXT a", "CC \"A Group\"",
    ]

    @Test func fetchAndSearchMatchDovecot() throws {
        let scratch = NSTemporaryDirectory() + "imapmessage-dovecot-\(UUID().uuidString)"
        let maildir = scratch + "/Maildir"
        for folder in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: "\(maildir)/\(folder)", withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for (index, message) in Self.messages.enumerated() {
            // Names sort in delivery order: Dovecot gives UIDs in that order.
            let name = "\(1_700_000_000 + index).M\(index)P1.tsubame:2,S"
            try Data(message).write(to: URL(fileURLWithPath: "\(maildir)/cur/\(name)"))
        }
        let peer = try DovecotPeer(maildir: maildir, scratch: scratch)
        // Dovecot runs pipelined commands side by side, so each FETCH gets its own session.
        func fetch(_ attributes: String) throws -> [UInt8] {
            let answer = try peer.imap(Array("s SELECT INBOX\r\nx FETCH 1:* (\(attributes))\r\nz LOGOUT\r\n".utf8))
            return Self.splitByTag(answer)["x"] ?? []
        }
        var searchScript: [UInt8] = Array("s SELECT INBOX\r\n".utf8)
        for (index, key) in Self.searches.enumerated() {
            // Dovecot runs pipelined SEARCHes side by side: ESEARCH answers carry the tag.
            searchScript += Array("q\(index) SEARCH RETURN (ALL) CHARSET UTF-8 ".utf8) + literalPlus(key) + [0x0D, 0x0A]
        }
        let output = try peer.imap(searchScript + Array("z LOGOUT\r\n".utf8))

        let parsed = Self.messages.map { ParsedMessage(crlf: MessageLines.crlf($0)) }
        // ENVELOPE, BODYSTRUCTURE, BODY
        var expected: [UInt8] = []
        for (index, message) in parsed.enumerated() {
            expected += Array("* \(index + 1) FETCH (".utf8)
            expected += IMAPResponseEncoder.encodeFetchItem(.envelope(message.envelope)) + [0x20]
            expected += IMAPResponseEncoder.encodeFetchItem(.bodyStructure(message.bodyStructure)) + [0x20]
            expected += IMAPResponseEncoder.encodeFetchItem(.body(message.bodyStructure)) + Array(")\r\n".utf8)
        }
        // Deliberate difference: Dovecot writes a folded header value (or one with a TAB) as a
        // literal; our encoder quotes what it can. Literals that could be quoted are compared quoted.
        Self.compareLines(Self.quotingLiterals(try fetch("ENVELOPE BODYSTRUCTURE BODY")), expected, what: "ENVELOPE/BODYSTRUCTURE")

        for (index, sectionText) in Self.sections.enumerated() {
            guard case .success(let command) = IMAPCommandParser.parse("x FETCH 1 BODY.PEEK\(sectionText)"),
                  case .fetch(_, let attributes, _) = command.command else {
                Issue.record("cannot parse \(sectionText)")
                continue
            }
            var expected: [UInt8] = []
            for (number, message) in parsed.enumerated() {
                let metadata = MessageMetadata(uid: UInt32(number + 1), flags: [.seen], internalDate: 0, size: message.bytes.count)
                let items = FetchResponder.items(for: attributes, metadata: metadata, message: message, includeUID: false)
                expected += Array("* \(number + 1) FETCH (".utf8) + items.flatMap(IMAPResponseEncoder.encodeFetchItem) + Array(")\r\n".utf8)
            }
            _ = index
            Self.compareLines(try fetch("BODY.PEEK\(sectionText)"), expected, what: "BODY\(sectionText)")
        }

        for (index, key) in Self.searches.enumerated() {
            let wire = Array("x SEARCH CHARSET UTF-8 ".utf8) + literalPlus(key)
            guard case .success(let command) = IMAPCommandParser.parse(IMAPFrame(bytes: wire)),
                  case .search(let search, _) = command.command else {
                Issue.record("cannot parse SEARCH \(key)")
                continue
            }
            let matcher = try SearchMatcher(search)
            let total = UInt32(parsed.count)
            let ours = parsed.enumerated().compactMap { number, message -> Int? in
                let candidate = Candidate(sequenceNumber: UInt32(number + 1), metadata: MessageMetadata(
                    uid: UInt32(number + 1), flags: [.seen], internalDate: 0, size: message.bytes.count), message: message)
                return matcher.matches(candidate, largestSequence: total, largestUID: total) ? number + 1 : nil
            }
            #expect(Self.esearch(output, tag: "q\(index)") == ours, "SEARCH \(key)")
        }
    }

    /// `* ESEARCH (TAG "t") ALL 1,3:5` → [1, 3, 4, 5]; nil when Dovecot sent none.
    static func esearch(_ output: [UInt8], tag: String) -> [Int]? {
        let prefix = "* ESEARCH (TAG \"\(tag)\")"
        for line in String(decoding: output, as: UTF8.self).components(separatedBy: "\r\n") where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
            guard rest.hasPrefix("ALL ") else { return [] }
            return rest.dropFirst(4).split(separator: ",").flatMap { range -> [Int] in
                let ends = range.split(separator: ":").compactMap { Int($0) }
                return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
            }
        }
        return nil
    }

    /// `{n}\r\n` + n quotable octets → a quoted string.
    static func quotingLiterals(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < text.count {
            if text[index] == 0x7B, let close = text[index...].firstIndex(of: 0x7D), close - index < 10,
               let size = Int(String(decoding: text[(index + 1)..<close], as: UTF8.self)),
               close + 2 + size <= text.count, text[close + 1] == 0x0D, text[close + 2] == 0x0A {
                let data = text[(close + 3)..<(close + 3 + size)]
                if data.allSatisfy({ $0 >= 0x01 && $0 < 0x80 && $0 != 0x0D && $0 != 0x0A }) {
                    output.append(0x22)
                    for byte in data {
                        if byte == 0x22 || byte == 0x5C { output.append(0x5C) }
                        output.append(byte)
                    }
                    output.append(0x22)
                    index = close + 3 + size
                    continue
                }
            }
            output.append(text[index])
            index += 1
        }
        return output
    }

    private func literalPlus(_ text: String) -> [UInt8] {
        // The key's last argument goes as a LITERAL+ when it is not ASCII.
        guard text.utf8.contains(where: { $0 >= 0x80 }) else { return Array(text.utf8) }
        guard let space = text.lastIndex(of: " ") else { return Array(text.utf8) }
        let head = text[...space], tail = Array(text[text.index(after: space)...].utf8)
        return Array(head.utf8) + Array("{\(tail.count)+}\r\n".utf8) + tail
    }

    /// Untagged lines of each tagged command, keyed by tag (the tagged line itself left out).
    static func splitByTag(_ output: [UInt8]) -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        var pending: [UInt8] = []
        var index = 0
        while index < output.count {
            var end = index
            while end < output.count && output[end] != 0x0A { end += 1 }
            var line = Array(output[index..<min(end + 1, output.count)])
            index = end + 1
            // A line ending in a literal header {n}: the n octets belong to the same response.
            while let size = literalSize(line), index <= output.count {
                let stop = min(index + size, output.count)
                line += output[index..<stop]
                index = stop
                var rest = index
                while rest < output.count && output[rest] != 0x0A { rest += 1 }
                line += output[index..<min(rest + 1, output.count)]
                index = rest + 1
            }
            if line.first == 0x2A {  // "*"
                pending += line
            } else if let space = line.firstIndex(of: 0x20) {
                let tag = String(decoding: line[..<space], as: UTF8.self)
                if tag != "+" { result[tag] = pending }
                pending = []
            }
        }
        return result
    }

    private static func literalSize(_ line: [UInt8]) -> Int? {
        guard line.count >= 5, line.suffix(3) == [0x7D, 0x0D, 0x0A], let open = line.lastIndex(of: 0x7B) else { return nil }
        return Int(String(decoding: line[(open + 1)..<(line.count - 3)], as: UTF8.self))
    }

    static func compareLines(_ theirs: [UInt8], _ ours: [UInt8], what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if theirs == ours { return }
        let a = String(decoding: theirs, as: UTF8.self).components(separatedBy: "* ")
        let b = String(decoding: ours, as: UTF8.self).components(separatedBy: "* ")
        for (x, y) in zip(a, b) where x != y {
            Issue.record("\(what):\nDovecot: \(x.debugDescription)\nours:    \(y.debugDescription)", sourceLocation: sourceLocation)
        }
        if a.count != b.count { Issue.record("\(what): \(a.count) vs \(b.count) responses", sourceLocation: sourceLocation) }
    }
}

struct Candidate: SearchCandidate {
    var sequenceNumber: UInt32
    var metadata: MessageMetadata
    var message: ParsedMessage?
    func content() -> ParsedMessage? { message }
}
