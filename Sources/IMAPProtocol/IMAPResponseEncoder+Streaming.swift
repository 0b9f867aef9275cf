import NIOCore

/// A FETCH response whose message data is too large to hold: the prefix, the octets the
/// server streams (the literal announced in the prefix), then the rest.
extension IMAPResponseEncoder {
    /// Streaming a large body: writes `* n FETCH (items… NAME {size}` CRLF. The server then
    /// sends exactly `size` octets, then `encodeStreamingFetchEnd(itemsAfter:)`.
    public static func encodeStreamingFetchStart(sequenceNumber: UInt32, itemsBefore: [IMAPFetchItem],
                                                 streamed: IMAPStreamedFetchItem, size: Int) -> ByteBuffer {
        var writer = IMAPWriter()
        writer.write("* \(sequenceNumber) FETCH (")
        writeFetchItems(itemsBefore, into: &writer)
        if !itemsBefore.isEmpty { writer.writeSpace() }
        writeStreamedName(streamed, into: &writer)
        writer.writeSpace()
        writer.writeLiteralHeader(size: size)
        return writer.buffer
    }

    /// The rest of a streamed FETCH response: ` items…)` CRLF.
    public static func encodeStreamingFetchEnd(itemsAfter: [IMAPFetchItem]) -> ByteBuffer {
        var writer = IMAPWriter()
        for item in itemsAfter {
            writer.writeSpace()
            writeFetchItem(item, into: &writer)
        }
        writer.write(")")
        writer.writeLineEnd()
        return writer.buffer
    }
}
