import FuzzSupport
import IMAPProtocol
import NIOCore

/// The IMAP core, chosen by the first byte.
///
/// Even: a client's byte stream through `IMAPFramer` (limits chosen by the fuzzer) and
/// `IMAPCommandParser`:
/// - nothing traps, whatever the nesting or the literal claims;
/// - cutting the stream into other reads changes no event (streamed literal chunks merged);
/// - nothing follows `.fatal`; a frame fits `maximumCommandSize`; the octets of streamed
///   literals add up to the sizes the frames record;
/// - a command that parses encodes (with `{n}` and with `{n+}` literals) to bytes that frame
///   and parse to the same command.
///
/// Odd: the string writer: any octets written as an astring, an nstring, a list-mailbox and a
/// header search key, inside a command, read back the same; a status text from the fuzzer
/// stays one response line.
func fuzzIMAPCommand(_ input: FuzzInput) {
    var input = input
    if input.byte() & 1 == 0 {
        fuzzStream(&input)
    } else {
        fuzzStrings(input.rest())
    }
}

private func fuzzStream(_ input: inout FuzzInput) {
    let limits = IMAPLimits(maximumLineLength: input.int(in: 64...512), maximumCommandSize: input.int(in: 16...2048),
                            inlineLiteralThreshold: input.int(in: 0...256), appendLimit: input.int(in: 0...4096),
                            maximumLiteralCount: input.int(in: 0...8), maximumNestingDepth: input.int(in: 1...64))
    let plan = SplitPlan(&input)
    let stream = input.rest()
    let whole = run(stream, limits: limits, plan: SplitPlan(lengths: [max(stream.count, 1)]))
    let pieces = run(stream, limits: limits, plan: plan)
    precondition(whole == pieces, "reads changed the events: \(whole) vs \(pieces)")
    for event in whole {
        guard case .frame(let frame) = event, case .success(let command) = IMAPCommandParser.parse(frame, limits: limits) else {
            continue
        }
        if case .append(_, let messages) = command.command, messages.contains(where: { if case .streamed = $0.data { true } else { false } }) {
            continue  // the encoder writes a streamed literal's header only
        }
        for style in [IMAPWriter.LiteralStyle.synchronizing, .nonSynchronizing] {
            let encoded = IMAPCommandEncoder.encode(command, literalStyle: style)
            let reparsed = reparse(encoded, limits: IMAPLimits(maximumNestingDepth: limits.maximumNestingDepth))
            precondition(reparsed == .success(command), "round trip: \(command) -> \(Array(encoded.readableBytesView)) -> \(String(describing: reparsed))")
        }
    }
}

/// The events of `stream` cut as `plan` says, with streamed literal chunks merged.
private func run(_ stream: [UInt8], limits: IMAPLimits, plan: SplitPlan) -> [IMAPFramer.Event] {
    var framer = IMAPFramer(limits: limits)
    var buffer = ByteBuffer()
    var events: [IMAPFramer.Event] = []
    var streamedOctets = 0
    var fatal = false
    for range in plan.ranges(covering: stream.count) {
        buffer.writeBytes(stream[range])
        while let event = framer.next(from: &buffer) {
            precondition(!fatal, "an event after .fatal")
            switch event {
            case .literalBytes(var chunk):
                precondition(chunk.readableBytes > 0)
                streamedOctets += chunk.readableBytes
                if case .literalBytes(var previous)? = events.last {
                    previous.writeBuffer(&chunk)
                    events[events.count - 1] = .literalBytes(previous)
                    continue
                }
            case .frame(let frame):
                precondition(frame.bytes.count <= limits.maximumCommandSize, "frame over the command bound")
                let recorded = frame.streamedLiterals.reduce(0) { $0 + $1.size }
                precondition(recorded == streamedOctets, "streamed \(streamedOctets) octets, frame records \(recorded)")
                streamedOctets = 0
            case .refused:
                streamedOctets = 0
            case .fatal:
                fatal = true
            case .needsContinuation:
                break
            }
            events.append(event)
        }
    }
    return events
}

private func reparse(_ encoded: ByteBuffer, limits: IMAPLimits = IMAPLimits()) -> Result<IMAPTaggedCommand, IMAPCommandError>? {
    var framer = IMAPFramer(limits: limits)
    var buffer = encoded
    while let event = framer.next(from: &buffer) {
        if case .frame(let frame) = event { return IMAPCommandParser.parse(frame, limits: limits) }
    }
    return nil
}

private func fuzzStrings(_ bytes: [UInt8]) {
    let parts = bytes.split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init)
    let first = parts.first ?? []
    let second = parts.count > 1 ? parts[1] : []
    let commands: [IMAPCommand] = [
        .login(username: first, password: second),
        .search(IMAPSearchCommand(keys: [.header(field: first, value: second)]), uid: true),
        .id([IMAPIDField(name: first, value: second.isEmpty ? nil : second)]),
        .lsub(reference: IMAPMailboxName(second), pattern: first.isEmpty ? [0x2A] : first),
    ]
    for command in commands {
        let tagged = IMAPTaggedCommand(tag: "t", command: command)
        let encoded = IMAPCommandEncoder.encode(tagged)
        precondition(reparse(encoded) == .success(tagged), "strings did not read back: \(command)")
    }
    let text = String(decoding: first, as: UTF8.self)
    let response = IMAPResponseEncoder.encode(.tagged("t", IMAPStatus(.no, code: .other("X", text), text)))
    let lineFeeds = response.readableBytesView.filter { $0 == 0x0A }.count
    precondition(lineFeeds == 1 && response.readableBytesView.last == 0x0A, "a status text broke the response line")
}
