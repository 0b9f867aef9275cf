import IMAPProtocol
@testable import IMAPMessage

func parse(_ text: String, limits: MIMELimits = MIMELimits()) -> ParsedMessage {
    ParsedMessage(crlf: MessageLines.crlf(Array(text.utf8)), limits: limits)
}

func wire(_ item: IMAPFetchItem) -> String {
    String(decoding: IMAPResponseEncoder.encodeFetchItem(item), as: UTF8.self)
}

func utf8String(_ bytes: [UInt8]?) -> String? {
    bytes.map { String(decoding: $0, as: UTF8.self) }
}
