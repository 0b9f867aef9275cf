import NIOCore
@testable import IMAPProtocol

/// Feeds `bytes` to a framer in reads of `chunk` octets (or all at once) and collects the events.
func frameEvents(_ bytes: [UInt8], limits: IMAPLimits = IMAPLimits(), chunk: Int? = nil) -> [IMAPFramer.Event] {
    var framer = IMAPFramer(limits: limits)
    var events: [IMAPFramer.Event] = []
    var buffer = ByteBuffer()
    var position = 0
    let step = chunk ?? max(bytes.count, 1)
    repeat {
        let end = min(bytes.count, position + step)
        buffer.writeBytes(bytes[position..<end])
        position = end
        while let event = framer.next(from: &buffer) { events.append(event) }
    } while position < bytes.count
    return events
}

func frameEvents(_ text: String, limits: IMAPLimits = IMAPLimits(), chunk: Int? = nil) -> [IMAPFramer.Event] {
    frameEvents(Array(text.utf8), limits: limits, chunk: chunk)
}

/// Merges consecutive `.literalBytes` events, so events compare whatever the reads were.
func merged(_ events: [IMAPFramer.Event]) -> [IMAPFramer.Event] {
    var result: [IMAPFramer.Event] = []
    for event in events {
        if case .literalBytes(var more) = event, case .literalBytes(var previous)? = result.last {
            previous.writeBuffer(&more)
            result[result.count - 1] = .literalBytes(previous)
        } else {
            result.append(event)
        }
    }
    return result
}

/// Frames and parses one command sent whole, answering every continuation.
func parseWire(_ bytes: [UInt8], limits: IMAPLimits = IMAPLimits()) -> Result<IMAPTaggedCommand, IMAPCommandError>? {
    for event in frameEvents(bytes, limits: limits) {
        if case .frame(let frame) = event { return IMAPCommandParser.parse(frame, limits: limits) }
    }
    return nil
}

func string(_ buffer: ByteBuffer) -> String {
    String(decoding: buffer.readableBytesView, as: UTF8.self)
}
