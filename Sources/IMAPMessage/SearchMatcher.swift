import IMAPProtocol

/// One message as SEARCH sees it: the metadata at once, the content only when a key needs it.
public protocol SearchCandidate {
    var sequenceNumber: UInt32 { get }
    var metadata: MessageMetadata { get }
    /// Loads and parses the message; nil when the file is gone (it then matches no content key).
    func content() -> ParsedMessage?
    /// The three below read `metadata` unless a candidate answers them cheaper (a folder of
    /// 100,000 messages is searched for UNSEEN without building 100,000 flag lists).
    var uid: UInt32 { get }
    func hasFlag(_ flag: IMAPFlag) -> Bool
    func hasKeyword(_ name: String) -> Bool
}

extension SearchCandidate {
    public var uid: UInt32 { metadata.uid }
    public func hasFlag(_ flag: IMAPFlag) -> Bool { metadata.flags.contains(flag) }
    public func hasKeyword(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return metadata.flags.contains { flag in
            if case .keyword(let keyword) = flag { return keyword.lowercased() == lowered }
            return false
        }
    }
}

/// SEARCH (RFC 3501 §6.4.4): the keys ANDed; strings matched as case-insensitive substrings
/// of decoded text (RFC 2047 words in headers, quoted-printable and base64 bodies, charsets
/// converted to UTF-8).
public struct SearchMatcher: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        /// NO [BADCHARSET (US-ASCII UTF-8)] (§6.4.4)
        case badCharset
    }

    /// The charsets SEARCH accepts.
    public static let charsets = ["US-ASCII", "UTF-8"]

    private let key: IMAPSearchKey

    public init(_ command: IMAPSearchCommand) throws(Failure) {
        if let charset = command.charset, !Self.charsets.contains(charset.uppercased()) { throw .badCharset }
        key = .and(command.keys)
    }

    /// Whether any key reads the content (header or body).
    public var needsContent: Bool { Self.readsContent(key) }

    private static func readsContent(_ key: IMAPSearchKey) -> Bool {
        switch key {
        case .bcc, .body, .cc, .from, .subject, .text, .to, .header, .sentBefore, .sentOn, .sentSince: true
        case .not(let inner): readsContent(inner)
        case .or(let a, let b): readsContent(a) || readsContent(b)
        case .and(let keys): keys.contains(where: readsContent)
        default: false
        }
    }

    /// `largestSequence`/`largestUID` resolve `*` in sequence and UID sets.
    public func matches(_ candidate: some SearchCandidate, largestSequence: UInt32, largestUID: UInt32) -> Bool {
        var context = SearchContext(candidate: candidate, largestSequence: largestSequence, largestUID: largestUID)
        return context.evaluate(key)
    }
}

/// One candidate's evaluation; the content is loaded at most once, and only if a key reads it.
private struct SearchContext<Candidate: SearchCandidate> {
    let candidate: Candidate
    let largestSequence: UInt32
    let largestUID: UInt32
    private var loaded = false
    private var message: ParsedMessage?
    private var bodyText: [[UInt8]]?

    init(candidate: Candidate, largestSequence: UInt32, largestUID: UInt32) {
        self.candidate = candidate
        self.largestSequence = largestSequence
        self.largestUID = largestUID
    }

    private mutating func content() -> ParsedMessage? {
        if !loaded {
            message = candidate.content()
            loaded = true
        }
        return message
    }

    mutating func evaluate(_ key: IMAPSearchKey) -> Bool {
        func has(_ flag: IMAPFlag) -> Bool { candidate.hasFlag(flag) }
        switch key {
        case .all: return true
        case .answered: return has(.answered)
        case .deleted: return has(.deleted)
        case .draft: return has(.draft)
        case .flagged: return has(.flagged)
        case .recent: return has(.recent)
        case .seen: return has(.seen)
        case .new: return has(.recent) && !has(.seen)
        case .old: return !has(.recent)
        case .unanswered: return !has(.answered)
        case .undeleted: return !has(.deleted)
        case .undraft: return !has(.draft)
        case .unflagged: return !has(.flagged)
        case .unseen: return !has(.seen)
        case .keyword(let name): return candidate.hasKeyword(name)
        case .unkeyword(let name): return !candidate.hasKeyword(name)
        case .before(let date): return compare(internalDay(candidate.metadata), date) < 0
        case .on(let date): return compare(internalDay(candidate.metadata), date) == 0
        case .since(let date): return compare(internalDay(candidate.metadata), date) >= 0
        case .sentBefore(let date): return sentDate().map { compare($0, date) < 0 } ?? false
        case .sentOn(let date): return sentDate().map { compare($0, date) == 0 } ?? false
        case .sentSince(let date): return sentDate().map { compare($0, date) >= 0 } ?? false
        case .larger(let size): return candidate.metadata.size > Int(size)
        case .smaller(let size): return candidate.metadata.size < Int(size)
        case .uid(let set): return set.contains(candidate.uid, largest: largestUID)
        case .sequenceSet(let set): return set.contains(candidate.sequenceNumber, largest: largestSequence)
        case .not(let inner): return !evaluate(inner)
        case .or(let a, let b): return evaluate(a) || evaluate(b)
        case .and(let keys):
            for key in keys where !evaluate(key) { return false }
            return true
        case .from(let text): return headerContains([Array("from".utf8)], text)
        case .to(let text): return headerContains([Array("to".utf8)], text)
        case .cc(let text): return headerContains([Array("cc".utf8)], text)
        case .bcc(let text): return headerContains([Array("bcc".utf8)], text)
        case .subject(let text): return headerContains([Array("subject".utf8)], text)
        case .header(let field, let value): return headerContains([ASCII.lowercased(field)], value)
        case .body(let text): return bodyContains(text)
        case .text(let text): return headerContains(nil, text) || bodyContains(text)
        }
    }

    /// Dovecot reads a missing or unreadable Date: as 1 January 1970.
    private mutating func sentDate() -> IMAPDate? {
        guard let message = content() else { return nil }
        return message.sentDate ?? IMAPDate(year: 1970, month: 1, day: 1)
    }

    private func internalDay(_ metadata: MessageMetadata) -> IMAPDate {
        FetchResponder.dateTime(metadata.internalDate).date
    }

    private func compare(_ a: IMAPDate, _ b: IMAPDate) -> Int {
        if a.year != b.year { return a.year < b.year ? -1 : 1 }
        if a.month != b.month { return a.month < b.month ? -1 : 1 }
        if a.day != b.day { return a.day < b.day ? -1 : 1 }
        return 0
    }

    /// Fields of the top header named in `names`, values unfolded and RFC 2047-decoded; an
    /// empty string matches any field present (HEADER name ""). With no names (TEXT), every
    /// field of every header in the message, MIME part headers and enclosed messages' headers
    /// included, as `Name: value` (as Dovecot searches TEXT).
    private mutating func headerContains(_ names: Set<[UInt8]>?, _ text: [UInt8]) -> Bool {
        guard let message = content() else { return false }
        let needle = TextFolding.folded(text)
        let bytes = message.bytes
        var headers: [MIMEHeader] = []
        if names == nil { Self.collectHeaders(message.root, into: &headers) } else { headers = [message.root.header] }
        for field in headers.lazy.flatMap(\.fields) {
            if let names {
                let name = ASCII.lowercased(Array(bytes[field.nameStart..<field.nameEnd]))
                guard names.contains(name) else { continue }
                if needle.isEmpty { return true }
            }
            var value = TextDecoding.decodeHeaderValue(MIMEHeader.unfoldedValue(field, in: bytes))
            if names == nil { value = Array(bytes[field.nameStart..<field.valueStart]) + [0x20] + value }
            if TextFolding.containsFolding(value, needle) { return true }
        }
        return false
    }

    /// The decoded text of every text part (message/rfc822 parts' text parts included).
    private mutating func bodyContains(_ text: [UInt8]) -> Bool {
        guard let message = content() else { return false }
        let needle = TextFolding.folded(text)
        if bodyText == nil {
            var texts: [[UInt8]] = []
            Self.collectText(message.root, bytes: message.bytes, into: &texts)
            bodyText = texts
        }
        return bodyText!.contains { TextFolding.containsFolding($0, needle) }
    }

    private static func collectHeaders(_ part: MIMEPart, into headers: inout [MIMEHeader]) {
        headers.append(part.header)
        switch part.kind {
        case .multipart(let children): for child in children { collectHeaders(child, into: &headers) }
        case .message(let inner): for enclosed in inner { collectHeaders(enclosed, into: &headers) }
        case .leaf: break
        }
    }

    private static func collectText(_ part: MIMEPart, bytes: [UInt8], into texts: inout [[UInt8]]) {
        switch part.kind {
        case .multipart(let children):
            for child in children { collectText(child, bytes: bytes, into: &texts) }
        case .message(let inner):
            for enclosed in inner { collectText(enclosed, bytes: bytes, into: &texts) }
        case .leaf:
            guard !part.opaque, part.contentType.isType("text") else { return }
            let encoding = part.header.value("Content-Transfer-Encoding", in: bytes) ?? []
            let raw = TextDecoding.decodeTransfer(bytes[part.bodyStart..<part.bodyEnd], encoding: encoding)
            texts.append(TextDecoding.utf8(raw, charset: part.contentType.parameter("charset")))
        }
    }
}
