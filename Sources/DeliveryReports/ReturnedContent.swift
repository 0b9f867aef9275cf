/// What of the original message goes back in the third part (RFC 3464 §2, RFC 3462 §2).
public enum ReturnedContent: Sendable, Equatable {
    case fullMessage
    case headersOnly(HeadersOnlyReason)

    public enum HeadersOnlyReason: Sendable, Equatable {
        /// The sender asked for RET=HDRS (RFC 3461 §4.3).
        case senderAskedForHeaders
        /// Only a failure returns the message: a delayed or delivered message is still on its
        /// way, and RET governs failed DSNs only (RFC 3461 §4.3), so the header is enough to
        /// recognise it.
        case notAFailure
        /// Larger than `DeliveryReportLimits.maximumReturnedMessageBytes`.
        case messageTooLarge
    }
}

/// The original message's bytes as they go into part 3.
struct ReturnedContentPart {
    var content: ReturnedContent
    var bytes: ArraySlice<UInt8>
    /// The header section was itself longer than the limit and was cut at a line end.
    var headerTruncated: Bool

    /// RFC 3462 §2 (text/rfc822-headers) and RFC 6533 §6.3, §6.4 (message/global,
    /// message/global-headers for a message that needed SMTPUTF8).
    func mediaType(global: Bool) -> String {
        switch content {
        case .fullMessage: return global ? "message/global" : "message/rfc822"
        case .headersOnly: return global ? "message/global-headers" : "text/rfc822-headers"
        }
    }

    /// RFC 2046 §5.2.1: message/rfc822 allows only 7bit, 8bit or binary; a stored message
    /// with 8-bit octets is returned as "8bit" (and the report then needs BODY=8BITMIME).
    var isEightBit: Bool { bytes.contains { $0 >= 0x80 } }

    static func select(original: [UInt8], envelope: OriginalEnvelope, isFailure: Bool,
                       maximumBytes: Int) -> ReturnedContentPart {
        let reason: ReturnedContent.HeadersOnlyReason?
        if envelope.returnContent == .headers {
            reason = .senderAskedForHeaders
        } else if !isFailure {
            reason = .notAFailure
        } else if original.count > maximumBytes {
            reason = .messageTooLarge
        } else {
            reason = nil
        }
        guard let reason else {
            return ReturnedContentPart(content: .fullMessage, bytes: original[...], headerTruncated: false)
        }
        let header = headerSection(of: original)
        if header.count <= maximumBytes {
            return ReturnedContentPart(content: .headersOnly(reason), bytes: header, headerTruncated: false)
        }
        // Cut at the last line end within the limit, so no half field is returned.
        let window = header.prefix(maximumBytes)
        let cut = window.lastIndex(of: 0x0A).map { header[header.startIndex...$0] } ?? window
        return ReturnedContentPart(content: .headersOnly(reason), bytes: cut, headerTruncated: true)
    }

    /// The header section (RFC 5322 §2.1): everything up to the first empty line, with the
    /// last field's line end but without the empty line. A message without a body is all header.
    static func headerSection(of message: [UInt8]) -> ArraySlice<UInt8> {
        if message.first == 0x0A { return message[0..<0] }
        var index = 0
        while index + 1 < message.count {
            if message[index] == 0x0A && message[index + 1] == 0x0A { return message[0...index] }
            index += 1
        }
        return message[...]
    }
}
