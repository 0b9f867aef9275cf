import FuzzSupport
import NIOCore
import SMTPProtocol

/// MessageContentDecoder (DATA and BDAT content) against a reference written from RFC 5321
/// and RFC 3030, fed whole and cut at the fuzzer's points.
///
/// Input: a settings byte (framing, small size and line limits so they are reached), four
/// bytes of piece lengths, then the content as the client sends it.
///
/// - Splitting the input never changes the problems, the size, where DATA ends, or the output
///   of a clean message (with problems the output is partial and the message is discarded).
/// - DATA ends right after the first "." CRLF at a line start (the start, or after CRLF), and
///   nothing past it is consumed; BDAT consumes exactly the chunk.
/// - A bare CR or LF anywhere in the content is reported (no smuggling, RFC 5321 §2.3.8).
/// - `size` counts the content in wire form without the stuffing dots; `tooLarge` is reported
///   exactly when it passes the limit.
/// - For content with only CRLF line ends, the output is the content with CRLF → LF and one
///   leading dot removed from each line (DATA only), and `lineTooLong` is reported exactly
///   when a line (unstuffed, without CRLF) passes the limit.
func fuzzMessageContent(_ input: FuzzInput) {
    var input = input
    let settings = input.byte()
    let framing: MessageContentDecoder.Framing = settings & 1 == 0 ? .dotTerminated : .chunked
    let maximumLineLength = settings & 2 == 0 ? 998 : Int(settings >> 2) % 16 + 1
    let maximumSize = settings & 0x40 == 0 ? 1 << 20 : Int(input.byte()) * 4
    let plan = SplitPlan(&input)
    let content = input.rest()

    let whole = decode(content, framing: framing, maximumSize: maximumSize, maximumLineLength: maximumLineLength,
                       plan: SplitPlan(lengths: [max(1, content.count)]))
    let split = decode(content, framing: framing, maximumSize: maximumSize, maximumLineLength: maximumLineLength,
                       plan: plan)
    precondition(whole == split, "splitting changed the result: \(whole) vs \(split)")

    let expected = Reference(content, framing: framing, maximumSize: maximumSize, maximumLineLength: maximumLineLength)
    precondition(whole.consumed == expected.consumed, "consumed \(whole.consumed), expected \(expected.consumed)")
    precondition(whole.ended == expected.ended, "ended \(whole.ended), expected \(expected.ended)")
    if expected.hasBareLineEnding {
        precondition(whole.problems.contains(.bareLineEnding), "bare CR or LF not reported")
    } else {
        precondition(!whole.problems.contains(.bareLineEnding), "bareLineEnding reported for CRLF-only content")
        precondition(whole.size == expected.size, "size \(whole.size), expected \(expected.size)")
        precondition(whole.problems.contains(.lineTooLong) == expected.lineTooLong, "lineTooLong \(whole.problems)")
        if whole.problems.isEmpty {
            precondition(whole.output == expected.output, "output differs from the reference")
        }
    }
    precondition(whole.problems.contains(.tooLarge) == (whole.size > maximumSize), "tooLarge and size disagree")
}

private struct Decoded: Equatable, CustomStringConvertible {
    static func == (a: Decoded, b: Decoded) -> Bool {
        a.problems == b.problems && a.size == b.size && a.consumed == b.consumed && a.ended == b.ended
            && (!a.problems.isEmpty || a.output == b.output)
    }

    var output: [UInt8] = []
    var problems: MessageContentDecoder.Problems = []
    var size = 0
    var consumed = 0
    var ended = false

    var description: String { "output \(output.count) octets, problems \(problems.rawValue), size \(size), consumed \(consumed), ended \(ended)" }
}

/// Feeds the pieces the way the SMTP handler does: bytes accumulate in a buffer; DATA decodes
/// until the end marker, BDAT reads one chunk (the whole content) to its last octet.
private func decode(_ content: [UInt8], framing: MessageContentDecoder.Framing, maximumSize: Int,
                    maximumLineLength: Int, plan: SplitPlan) -> Decoded {
    var decoder = MessageContentDecoder(framing: framing, maximumSize: maximumSize, maximumLineLength: maximumLineLength)
    var result = Decoded()
    var output = ByteBuffer()
    var buffer = ByteBuffer()
    var remaining = content.count  // BDAT: octets of the chunk still to read
    for range in plan.ranges(covering: content.count) {
        if result.ended { break }
        buffer.writeBytes(content[range])
        let before = buffer.readableBytes
        switch framing {
        case .dotTerminated:
            result.ended = decoder.decodeDotTerminated(&buffer, into: &output)
            if !result.ended { precondition(buffer.readableBytes == 0, "DATA left input unread before its end") }
        case .chunked:
            let consumed = decoder.decodeChunk(&buffer, limit: remaining, into: &output)
            precondition(consumed == min(remaining, before), "BDAT consumed \(consumed) of \(before), \(remaining) left")
            remaining -= consumed
        }
        result.consumed += before - buffer.readableBytes
        buffer.discardReadBytes()
    }
    if framing == .chunked {
        decoder.finishChunks()
        result.ended = true
    }
    result.output = Array(output.readableBytesView)
    result.problems = decoder.problems
    result.size = decoder.size
    return result
}

/// The rules, stated over the whole content at once.
private struct Reference {
    var consumed: Int
    var ended: Bool
    var hasBareLineEnding = false
    var size = 0
    var lineTooLong = false
    var output: [UInt8] = []

    init(_ input: [UInt8], framing: MessageContentDecoder.Framing, maximumSize: Int, maximumLineLength: Int) {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), dot = UInt8(ascii: ".")
        var content = input[...]
        if framing == .dotTerminated {
            // RFC 5321 §4.1.1.4: the content ends at CRLF "." CRLF; its first CRLF belongs to the
            // last line. At the very start "." CRLF is an empty message.
            if input.starts(with: [dot, cr, lf]) {
                content = input[0..<0]
                consumed = 3
                ended = true
            } else if let marker = Reference.firstMarker(in: input) {
                content = input[0..<(marker + 2)]
                consumed = marker + 5
                ended = true
            } else {
                consumed = input.count
                ended = false
                // A CR at the very end may still be followed by LF: not bare yet, not counted.
                if content.last == cr { content = content.dropLast() }
            }
        } else {
            consumed = input.count
            ended = true
        }

        // Lines end at CRLF; any other CR or LF is bare.
        var lines: [ArraySlice<UInt8>] = []
        var start = content.startIndex
        var index = content.startIndex
        while index < content.endIndex {
            if content[index] == cr, index + 1 < content.endIndex, content[index + 1] == lf {
                lines.append(content[start..<index])
                index += 2
                start = index
            } else {
                if content[index] == cr || content[index] == lf { hasBareLineEnding = true }
                index += 1
            }
        }
        let unterminated = content[start..<content.endIndex]
        for (number, line) in (lines + [unterminated]).enumerated() {
            let isLast = number == lines.count
            if isLast && line.isEmpty { break }
            // RFC 5321 §4.5.2: a leading dot on a line is stuffing.
            let text = framing == .dotTerminated && line.first == dot ? line.dropFirst() : line
            if text.count > maximumLineLength { lineTooLong = true }
            size += text.count + (isLast ? 0 : 2)
            output += text
            if !isLast { output.append(lf) }
        }
    }

    static func firstMarker(in bytes: [UInt8]) -> Int? {
        let marker: [UInt8] = [13, 10, 46, 13, 10]
        guard bytes.count >= marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start..<(start + marker.count)].elementsEqual(marker) {
            return start
        }
        return nil
    }
}
