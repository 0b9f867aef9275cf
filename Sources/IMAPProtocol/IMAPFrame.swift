/// One complete command as the framer cut it: its lines (each line end written as CRLF, so a
/// client's bare LF reads the same) and the literals it holds.
///
/// A literal small enough to stay inline follows its `{n}` CRLF in `bytes`. A literal that
/// was streamed (`.literalBytes` events) is absent from `bytes`: `streamedLiterals` records the
/// offset where its payload would have started, and its size.
public struct IMAPFrame: Equatable, Sendable {
    public var bytes: [UInt8]
    public var streamedLiterals: [StreamedLiteral]

    public struct StreamedLiteral: Equatable, Sendable {
        /// Where the payload would start in `bytes` (right after the literal's CRLF).
        public var offset: Int
        public var size: Int
        public init(offset: Int, size: Int) {
            self.offset = offset
            self.size = size
        }
    }

    public init(bytes: [UInt8], streamedLiterals: [StreamedLiteral] = []) {
        self.bytes = bytes
        self.streamedLiterals = streamedLiterals
    }

    /// The tag at the start of the frame if it is one (RFC 3501 §9 `tag`), for a BAD reply.
    public var tag: String? { IMAPFrame.tag(of: bytes[...]) }

    static func tag(of bytes: ArraySlice<UInt8>) -> String? {
        let candidate = bytes.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        guard !candidate.isEmpty, candidate.count <= 64,
              candidate.allSatisfy({ IMAPCharacters.isAStringChar($0) && $0 != UInt8(ascii: "+") }) else { return nil }
        return String(decoding: candidate, as: UTF8.self)
    }
}
