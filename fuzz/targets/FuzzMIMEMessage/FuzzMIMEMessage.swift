import FuzzSupport
import IMAPMessage
import IMAPProtocol

/// IMAPMessage over any octets: the first bytes choose the limits, the rest is a message (LF or
/// CRLF, turned into CRLF as the server serves it).
/// - parsing, ENVELOPE, BODYSTRUCTURE, every section the structure names (with MIME, HEADER,
///   TEXT, HEADER.FIELDS) and their encoding never trap;
/// - a section is a slice of the message (or HEADER's added blank line); BODY[] is the message;
///   BODY[HEADER] followed by BODY[TEXT] is the message;
/// - the structure's parts, walked as part numbers, all resolve;
/// - SEARCH with content keys never traps; LF → CRLF → LF is the identity.
func fuzzMIMEMessage(_ input: FuzzInput) {
    var input = input
    let limits = MIMELimits(maximumDepth: input.int(in: 1...40), maximumParts: input.int(in: 1...200),
                            maximumAddresses: input.int(in: 1...200))
    let raw = input.rest()
    let bytes = MessageLines.crlf(raw)
    if !raw.contains(0x0D) { precondition(MessageLines.lf(bytes) == raw, "LF → CRLF → LF is the identity") }
    let message = ParsedMessage(crlf: bytes, limits: limits)
    _ = IMAPResponseEncoder.encodeFetchItem(.envelope(message.envelope))
    let structure = message.bodyStructure
    _ = IMAPResponseEncoder.encodeFetchItem(.bodyStructure(structure))
    _ = IMAPResponseEncoder.encodeFetchItem(.body(structure))
    precondition(message.section(.whole) == bytes, "BODY[] is the message")
    if let header = message.section(IMAPSection(text: .header)), let text = message.section(IMAPSection(text: .text)),
       header.count + text.count == bytes.count {
        precondition(header + text == bytes, "HEADER + TEXT is the message")
    }
    var visited = 0
    fetchSections(path: [], message: message)
    // RFC 3501 §6.4.5: a multipart message's parts are 1, 2, …; any other message's body is 1.
    if case .multipart(let multipart) = structure {
        for (index, part) in multipart.parts.enumerated() {
            walk(part, path: [index + 1], message: message, visited: &visited)
        }
    } else {
        walk(structure, path: [1], message: message, visited: &visited)
    }
    let keys: [IMAPSearchKey] = [.body([0x61]), .text([0xC3, 0xA9]), .from([0x40]), .header(field: Array("x".utf8), value: []),
                                 .sentOn(IMAPDate(year: 2000, month: 1, day: 1)), .subject([0x3D])]
    struct Candidate: SearchCandidate {
        let sequenceNumber: UInt32 = 1
        let metadata: MessageMetadata
        let message: ParsedMessage
        func content() -> ParsedMessage? { message }
    }
    let candidate = Candidate(metadata: MessageMetadata(uid: 1, flags: [], internalDate: 0, size: bytes.count), message: message)
    for key in keys {
        if let matcher = try? SearchMatcher(IMAPSearchCommand(keys: [key])) {
            _ = matcher.matches(candidate, largestSequence: 1, largestUID: 1)
        }
    }
}

/// BODY.PEEK[path…] in every form, with a partial, through FetchResponder and the encoder.
private func fetchSections(path: [Int], message: ParsedMessage) {
    let texts: [IMAPSection.Text?] = [nil, .mime, .header, .text, .headerFields([Array("subject".utf8)]),
                                      .headerFieldsNot([Array("from".utf8)])]
    for text in texts where !(path.isEmpty && text == .mime) {
        let section = IMAPSection(part: path, text: text)
        let data = message.section(section)
        if !path.isEmpty && (text == nil || text == .mime) {
            precondition(data != nil, "part \(path) of the structure resolves")
        }
        let items = FetchResponder.items(for: [.bodySection(section, partial: IMAPPartial(offset: 3, length: 7), peek: true)],
                                         metadata: MessageMetadata(uid: 1, flags: [], internalDate: 0, size: 0),
                                         message: message, includeUID: true)
        for item in items { _ = IMAPResponseEncoder.encodeFetchItem(item) }
    }
}

private func walk(_ structure: IMAPBodyStructure, path: [Int], message: ParsedMessage, visited: inout Int) {
    visited += 1
    guard visited < 400 else { return }
    fetchSections(path: path, message: message)
    switch structure {
    case .multipart(let multipart):
        for (index, part) in multipart.parts.enumerated() {
            walk(part, path: path + [index + 1], message: message, visited: &visited)
        }
    case .singlePart(let part):
        if case .message(_, let inner, _) = part.kind {
            // The enclosed message's parts continue the numbering (RFC 3501 §6.4.5).
            if case .multipart(let multipart) = inner {
                for (index, child) in multipart.parts.enumerated() {
                    walk(child, path: path + [index + 1], message: message, visited: &visited)
                }
            } else {
                walk(inner, path: path + [1], message: message, visited: &visited)
            }
        }
    }
}
