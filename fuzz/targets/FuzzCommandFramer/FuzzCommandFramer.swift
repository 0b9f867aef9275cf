import FuzzSupport
import NIOCore
import ProtocolSupport

/// CommandLineFramer (SMTP and POP3 command lines) against a reference written from its
/// documentation, whole and split the way a socket may split it:
/// - the events do not depend on where the stream is split;
/// - they equal the reference: a line ends only at CRLF, a bare CR or LF is reported, a line
///   over the limit is reported once and skipped to its LF;
/// - a `.line` never holds CR or LF and fits the limit with its CRLF;
/// - the bytes the framer leaves buffered stay under the limit (memory is bounded).
func fuzzCommandFramer(_ input: FuzzInput) {
    var input = input
    let limit = input.int(in: 2...600)
    let plan = SplitPlan(&input)
    let stream = input.rest()

    let expected = referenceEvents(stream, limit: limit)
    precondition(events(stream, plan: SplitPlan(lengths: [max(1, stream.count)]), limit: limit) == expected,
                 "framer disagrees with the reference")
    precondition(events(stream, plan: plan, limit: limit) == expected, "splitting the stream changed the events")
}

private func events(_ stream: [UInt8], plan: SplitPlan, limit: Int) -> [CommandLineFramer.Event] {
    var framer = CommandLineFramer(maximumLineLength: limit)
    var buffer = ByteBuffer()
    var events: [CommandLineFramer.Event] = []
    for range in plan.ranges(covering: stream.count) {
        buffer.writeBytes(stream[range])
        while let event = framer.next(from: &buffer) {
            if case .line(let line) = event {
                precondition(!line.contains(UInt8(ascii: "\r")) && !line.contains(UInt8(ascii: "\n")), "CR or LF in a line")
                precondition(line.count + 2 <= limit, "a line over the limit")
            }
            events.append(event)
        }
        // What stays buffered is at most one unfinished line that still fits.
        precondition(buffer.readableBytes < limit, "framer keeps \(buffer.readableBytes) octets with limit \(limit)")
        buffer.discardReadBytes()
    }
    return events
}

/// The rules as the documentation states them, over the whole stream at once.
private func referenceEvents(_ stream: [UInt8], limit: Int) -> [CommandLineFramer.Event] {
    var events: [CommandLineFramer.Event] = []
    var start = 0
    while let lineFeed = stream[start...].firstIndex(of: UInt8(ascii: "\n")) {
        let content = stream[start..<lineFeed]
        start = lineFeed + 1
        if content.count + 1 > limit {
            events.append(.lineTooLong)
        } else if content.last != UInt8(ascii: "\r") || content.dropLast().contains(UInt8(ascii: "\r")) {
            events.append(.bareLineEnding)
        } else {
            events.append(.line(Array(content.dropLast())))
        }
    }
    return events
}
