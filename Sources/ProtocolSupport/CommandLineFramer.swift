import NIOCore

/// Splits a command stream (SMTP, POP3) into lines that end in CRLF, and nothing else.
///
/// A bare LF or a bare CR is never a line end (RFC 5321 §2.3.8): accepting one is what makes
/// SMTP smuggling possible, so such a line is reported and dropped. A line longer than the
/// limit is discarded up to its end and reported once, so replies stay in order with
/// pipelined commands (RFC 2920, RFC 2449) and memory stays bounded.
public struct CommandLineFramer: Sendable {
    public enum Event: Equatable, Sendable {
        /// A command line without its CRLF.
        case line([UInt8])
        case lineTooLong
        case bareLineEnding
    }

    /// Octets in a command line including the CRLF (RFC 5321 §4.5.3.1.4).
    public let maximumLineLength: Int
    private var discardingLongLine = false

    public init(maximumLineLength: Int = 512) {
        self.maximumLineLength = maximumLineLength
    }

    /// Takes the next event from the front of `buffer`, or nil when more bytes are needed.
    public mutating func next(from buffer: inout ByteBuffer) -> Event? {
        let view = buffer.readableBytesView
        if discardingLongLine {
            guard let lineFeed = view.firstIndex(of: UInt8(ascii: "\n")) else {
                buffer.moveReaderIndex(forwardBy: view.count)
                return nil
            }
            buffer.moveReaderIndex(forwardBy: lineFeed - view.startIndex + 1)
            discardingLongLine = false
            return .lineTooLong
        }
        let searchable = view.prefix(maximumLineLength)
        guard let lineFeed = searchable.firstIndex(of: UInt8(ascii: "\n")) else {
            guard view.count >= maximumLineLength else { return nil }
            discardingLongLine = true
            buffer.moveReaderIndex(forwardBy: searchable.count)
            return next(from: &buffer)
        }
        let length = lineFeed - view.startIndex
        defer { buffer.moveReaderIndex(forwardBy: length + 1) }
        guard length > 0, view[lineFeed - 1] == UInt8(ascii: "\r") else { return .bareLineEnding }
        let line = view[view.startIndex..<(lineFeed - 1)]
        if line.contains(UInt8(ascii: "\r")) { return .bareLineEnding }
        return .line(Array(line))
    }
}
