/// A cursor over one frame with the basic rules of RFC 3501 §9: SP, atom, number, quoted,
/// literal, string, astring, nstring. The command rules are in `IMAPCommandParser`.
struct IMAPGrammarReader {
    let bytes: [UInt8]
    let streamedLiterals: [IMAPFrame.StreamedLiteral]
    let maximumDepth: Int
    private(set) var index = 0
    private var depth = 0

    init(frame: IMAPFrame, maximumDepth: Int) {
        bytes = frame.bytes
        streamedLiterals = frame.streamedLiterals
        self.maximumDepth = maximumDepth
    }

    var isAtEnd: Bool { index >= bytes.count }
    var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    func peek(_ byte: Character) -> Bool { next == byte.asciiValue }

    mutating func advance() {
        index += 1
    }

    /// Consumes `byte` if it is next.
    mutating func skip(_ byte: Character) -> Bool {
        guard peek(byte) else { return false }
        index += 1
        return true
    }

    mutating func expect(_ byte: Character, _ what: String) throws {
        guard skip(byte) else { throw IMAPParseError("Expected \(what)") }
    }

    /// SP; `after` names what it follows, for the error text.
    mutating func space(after what: String) throws {
        guard skip(" ") else { throw IMAPParseError(isAtEnd ? "Missing arguments after \(what)" : "Expected a space after \(what)") }
    }

    mutating func expectEnd(_ what: String) throws {
        guard isAtEnd else { throw IMAPParseError("Unexpected text after \(what)") }
    }

    /// Counts one level of nesting ("(" lists, NOT/OR chains) against the limit
    /// (CVE-2026-27857): a nesting bomb is a BAD reply, never a stack overflow.
    mutating func enter() throws {
        depth += 1
        guard depth <= maximumDepth else { throw IMAPParseError("Too deeply nested") }
    }

    mutating func leave() {
        depth -= 1
    }

    /// The octets while `predicate` holds (possibly none).
    mutating func take(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = index
        while index < bytes.count, predicate(bytes[index]) { index += 1 }
        return bytes[start..<index]
    }

    /// atom = 1*ATOM-CHAR
    mutating func atom(_ what: String) throws -> String {
        let taken = take(while: IMAPCharacters.isAtomChar)
        guard !taken.isEmpty else { throw IMAPParseError("Expected \(what)") }
        return String(decoding: taken, as: UTF8.self)
    }

    /// An atom compared in ASCII upper case (command names, keywords).
    mutating func keyword(_ what: String) throws -> String {
        IMAPCharacters.uppercased(try atom(what).utf8)
    }

    /// Consumes `word` (upper case) if the next atom is it, in any ASCII case.
    mutating func skipKeyword(_ word: String) -> Bool {
        let saved = index
        let taken = take(while: IMAPCharacters.isAtomChar)
        if IMAPCharacters.uppercased(taken) == word { return true }
        index = saved
        return false
    }

    /// number = 1*DIGIT ; unsigned 32-bit integer
    mutating func number(_ what: String) throws -> UInt32 {
        let digits = take(while: IMAPCharacters.isDigit)
        guard !digits.isEmpty else { throw IMAPParseError("Expected \(what)") }
        var value: UInt64 = 0
        for digit in digits {
            value = value * 10 + UInt64(digit - 0x30)
            guard value <= UInt64(UInt32.max) else { throw IMAPParseError("Number too large (at most 4294967295)") }
        }
        return UInt32(value)
    }

    /// nz-number = digit-nz *DIGIT
    mutating func nzNumber(_ what: String) throws -> UInt32 {
        guard let next, (0x31...0x39).contains(next) else { throw IMAPParseError("Expected \(what)") }
        return try number(what)
    }

    /// quoted = DQUOTE *QUOTED-CHAR DQUOTE
    /// QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials
    /// NUL, CR and LF are refused (CVE-2019-11500: Dovecot let a NUL in a quoted string write
    /// out of bounds). 8-bit octets are accepted, as UTF-8 (RFC 6855) and as Dovecot does.
    mutating func quoted() throws -> [UInt8] {
        try expect("\"", "a quoted string")
        var result: [UInt8] = []
        while let byte = next {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard let escaped = next, escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else {
                    throw IMAPParseError("Only \\\" and \\\\ may be escaped in a quoted string")
                }
                index += 1
                result.append(escaped)
            case 0, UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                throw IMAPParseError("NUL, CR and LF are not allowed in a quoted string")
            default:
                result.append(byte)
            }
        }
        throw IMAPParseError("Unterminated quoted string")
    }

    /// literal = "{" number ["+"] "}" CRLF *CHAR8   (RFC 3501 §9, LITERAL+ RFC 7888)
    /// The framer has checked the size and written the line end as CRLF; a literal it streamed
    /// is not in the frame's bytes and reads as `.streamed`.
    mutating func literal() throws -> IMAPLiteralData {
        try expect("{", "a literal")
        let size = try number("a literal size")
        _ = skip("+")
        try expect("}", "} after the literal size")
        guard skip("\r"), skip("\n") else { throw IMAPParseError("A literal must end its line") }
        if let position = streamedLiterals.firstIndex(where: { $0.offset == index }) {
            return .streamed(index: position, size: streamedLiterals[position].size)
        }
        guard bytes.count - index >= Int(size) else { throw IMAPParseError("Literal shorter than announced") }
        defer { index += Int(size) }
        return .inline(Array(bytes[index..<(index + Int(size))]))
    }

    /// string = quoted / literal, kept in memory.
    mutating func string(_ what: String) throws -> [UInt8] {
        if peek("\"") { return try quoted() }
        guard peek("{") else { throw IMAPParseError("Expected \(what)") }
        guard case .inline(let bytes) = try literal() else { throw IMAPParseError("Literal too large for \(what)") }
        return bytes
    }

    /// astring = 1*ASTRING-CHAR / string
    mutating func astring(_ what: String) throws -> [UInt8] {
        if peek("\"") || peek("{") { return try string(what) }
        let taken = take(while: IMAPCharacters.isAStringChar)
        guard !taken.isEmpty else { throw IMAPParseError("Expected \(what)") }
        return Array(taken)
    }

    /// nstring = string / nil
    mutating func nstring(_ what: String) throws -> [UInt8]? {
        if peek("\"") || peek("{") { return try string(what) }
        guard skipKeyword("NIL") else { throw IMAPParseError("Expected \(what) or NIL") }
        return nil
    }

    /// mailbox = "INBOX" / astring
    mutating func mailbox() throws -> IMAPMailboxName {
        IMAPMailboxName(try astring("a mailbox name"))
    }

    /// list-mailbox = 1*list-char / string
    mutating func listMailbox() throws -> [UInt8] {
        if peek("\"") || peek("{") { return try string("a mailbox pattern") }
        let taken = take(while: IMAPCharacters.isListChar)
        guard !taken.isEmpty else { throw IMAPParseError("Expected a mailbox pattern") }
        return Array(taken)
    }

    /// A parenthesised list of one or more items separated by SP, each read by `item`.
    /// `allowEmpty` admits "()".
    mutating func list<T>(_ what: String, allowEmpty: Bool = false,
                          _ item: (inout IMAPGrammarReader) throws -> T) throws -> [T] {
        try expect("(", "( to open \(what)")
        try enter()
        defer { leave() }
        var items: [T] = []
        if skip(")") {
            guard allowEmpty else { throw IMAPParseError("Expected at least one item in \(what)") }
            return items
        }
        repeat {
            items.append(try item(&self))
        } while skip(" ")
        try expect(")", ") to close \(what)")
        return items
    }
}
