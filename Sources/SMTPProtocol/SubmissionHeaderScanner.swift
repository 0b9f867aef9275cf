/// Reads the header of a submitted message as the content decoder produces it (local form, LF
/// line ends), keeping only what submission needs: the unfolded `From:` fields, and whether
/// `Message-ID:` and `Date:` are present (RFC 6409 §8.1, §8.3). Pure and bounded: the header
/// ends at the first empty line (RFC 5322 §2.1), at a line that is not a header field, or at
/// the end of the content; past `maximumHeaderOctets` it stops and reports the header too large.
public struct SubmissionHeaderScanner: Sendable {
    /// Postfix's header_size_limit is 100 KiB; a header beyond this is not checked, so a From
    /// cannot hide behind it: the message is refused.
    public static let maximumHeaderOctets = 128 * 1024
    /// All From fields together; a longer From cannot be checked and refuses the message.
    public static let maximumFromOctets = 16 * 1024
    /// Field names we care about are short; longer ones are kept only up to this length.
    private static let maximumNameOctets = 32

    public private(set) var hasMessageID = false
    public private(set) var hasDate = false
    /// Each From field's value, unfolded (RFC 5322 §2.2.3: the line breaks of folding removed).
    public private(set) var fromFields: [String] = []
    /// The header ended (an empty line, a non-field line or the end of content).
    public private(set) var isComplete = false
    public private(set) var isTooLarge = false
    public private(set) var isFromTooLarge = false

    private enum State: Sendable {
        /// At the start of a line: a new field, a continuation, or the empty line.
        case lineStart
        /// Reading a field name up to its colon.
        case name
        case value
        /// The header is over; the rest is body.
        case done
    }

    private enum Field: Sendable { case from, other }

    private var state = State.lineStart
    private var name: [UInt8] = []
    private var field = Field.other
    private var fromValue: [UInt8] = []
    private var fromOctets = 0
    private var octets = 0

    public init() {}

    /// Scans more content. Cheap once the header is over.
    public mutating func scan(_ bytes: some Sequence<UInt8>) {
        guard state != .done else { return }
        for byte in bytes {
            octets += 1
            if octets > Self.maximumHeaderOctets {
                isTooLarge = true
                end()
                return
            }
            switch state {
            case .lineStart:
                if byte == UInt8(ascii: "\n") { end(); return }
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                    // Folding (RFC 5322 §2.2.3): the field goes on; the WSP stays.
                    state = .value
                    appendValue(byte)
                } else {
                    finishField()
                    state = .name
                    name = [byte]
                    if !isFieldNameCharacter(byte) { end(); return }
                }
            case .name:
                if byte == UInt8(ascii: ":") {
                    startValue()
                } else if byte == UInt8(ascii: "\n") || !(isFieldNameCharacter(byte) || isWhitespace(byte)) {
                    // Not a header field: the header is over and this line is body.
                    end()
                    return
                } else if name.count < Self.maximumNameOctets {
                    name.append(byte)
                }
            case .value:
                if byte == UInt8(ascii: "\n") { state = .lineStart } else { appendValue(byte) }
            case .done:
                return
            }
        }
    }

    /// The content ended; a header without an empty line ends with it.
    public mutating func finish() {
        if state != .done { end() }
    }

    /// Every address of every From field; nil when one cannot be parsed or was too long.
    /// No From field at all gives an empty list: nothing to check.
    public var fromAddresses: [String]? {
        guard !isFromTooLarge, !isTooLarge else { return nil }
        var addresses: [String] = []
        for value in fromFields {
            guard let list = HeaderAddressList.parse(value), !list.isEmpty else { return nil }
            addresses += list
        }
        return addresses
    }

    // MARK: Internals

    private mutating func startValue() {
        // obs-optional (RFC 5322 §4.5.3.1.7... §4.1): WSP may come before the colon.
        while let last = name.last, isWhitespace(last) { name.removeLast() }
        let lowered = name.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
        switch String(decoding: lowered, as: UTF8.self) {
        case "from": field = .from
        case "message-id": hasMessageID = true; field = .other
        case "date": hasDate = true; field = .other
        default: field = .other
        }
        fromValue = []
        state = .value
    }

    private mutating func appendValue(_ byte: UInt8) {
        guard field == .from else { return }
        fromOctets += 1
        if fromOctets > Self.maximumFromOctets { isFromTooLarge = true; return }
        fromValue.append(byte)
    }

    private mutating func finishField() {
        if state == .value || state == .lineStart, field == .from, !isFromTooLarge {
            fromFields.append(String(decoding: fromValue, as: UTF8.self))
        }
        field = .other
        fromValue = []
    }

    private mutating func end() {
        if state == .value || state == .lineStart { finishField() }
        state = .done
        isComplete = true
    }

    /// ftext (RFC 5322 §3.6.8): printable ASCII except the colon.
    private func isFieldNameCharacter(_ byte: UInt8) -> Bool {
        byte >= 33 && byte <= 126 && byte != UInt8(ascii: ":")
    }

    private func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
