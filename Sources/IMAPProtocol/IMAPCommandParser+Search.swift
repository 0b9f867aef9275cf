/// SEARCH (RFC 3501 §6.4.4, §9).
extension IMAPCommandParser {
    /// search = "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key)
    static func parseSearch(_ reader: inout IMAPGrammarReader) throws -> IMAPSearchCommand {
        try reader.space(after: "SEARCH")
        var charset: String?
        if reader.skipKeyword("CHARSET") {
            try reader.space(after: "CHARSET")
            let name = try reader.astring("a charset")
            guard name.allSatisfy({ (0x21...0x7E).contains($0) }) else { throw IMAPParseError("Invalid charset name") }
            charset = String(decoding: name, as: UTF8.self)
            try reader.space(after: "the charset")
        }
        var keys: [IMAPSearchKey] = []
        repeat {
            keys.append(try parseSearchKey(&reader))
        } while reader.skip(" ")
        return IMAPSearchCommand(charset: charset, keys: keys)
    }

    /// search-key = "ALL" / "ANSWERED" / "BCC" SP astring / "BEFORE" SP date / "BODY" SP astring /
    ///   "CC" SP astring / "DELETED" / "FLAGGED" / "FROM" SP astring / "KEYWORD" SP flag-keyword /
    ///   "NEW" / "OLD" / "ON" SP date / "RECENT" / "SEEN" / "SINCE" SP date / "SUBJECT" SP astring /
    ///   "TEXT" SP astring / "TO" SP astring / "UNANSWERED" / "UNDELETED" / "UNFLAGGED" /
    ///   "UNKEYWORD" SP flag-keyword / "UNSEEN" / "DRAFT" / "HEADER" SP header-fld-name SP astring /
    ///   "LARGER" SP number / "NOT" SP search-key / "OR" SP search-key SP search-key /
    ///   "SENTBEFORE" SP date / "SENTON" SP date / "SENTSINCE" SP date / "SMALLER" SP number /
    ///   "UID" SP sequence-set / "UNDRAFT" / sequence-set / "(" search-key *(SP search-key) ")"
    /// Every level (a parenthesis, NOT, OR) counts against the nesting limit: `NOT NOT NOT …`
    /// recurses as deeply as parentheses do.
    static func parseSearchKey(_ reader: inout IMAPGrammarReader) throws -> IMAPSearchKey {
        try reader.enter()
        defer { reader.leave() }
        if reader.peek("(") {
            return .and(try reader.list("the search keys") { try parseSearchKey(&$0) })
        }
        if let next = reader.next, IMAPCharacters.isDigit(next) || next == UInt8(ascii: "*") || next == UInt8(ascii: "$") {
            return .sequenceSet(try parseSequenceSet(&reader))
        }
        let name = try reader.keyword("a search key")
        func argument(_ reader: inout IMAPGrammarReader) throws -> [UInt8] {
            try reader.space(after: name)
            return try reader.astring("a string after \(name)")
        }
        func date(_ reader: inout IMAPGrammarReader) throws -> IMAPDate {
            try reader.space(after: name)
            // date = date-text / DQUOTE date-text DQUOTE
            let quoted = reader.skip("\"")
            let value = try parseDateText(&reader)
            if quoted { try reader.expect("\"", "\" after the date") }
            return value
        }
        func keyword(_ reader: inout IMAPGrammarReader) throws -> String {
            try reader.space(after: name)
            return try reader.atom("a keyword after \(name)")
        }
        switch name {
        case "ALL": return .all
        case "ANSWERED": return .answered
        case "DELETED": return .deleted
        case "DRAFT": return .draft
        case "FLAGGED": return .flagged
        case "NEW": return .new
        case "OLD": return .old
        case "RECENT": return .recent
        case "SEEN": return .seen
        case "UNANSWERED": return .unanswered
        case "UNDELETED": return .undeleted
        case "UNDRAFT": return .undraft
        case "UNFLAGGED": return .unflagged
        case "UNSEEN": return .unseen
        case "BCC": return .bcc(try argument(&reader))
        case "BODY": return .body(try argument(&reader))
        case "CC": return .cc(try argument(&reader))
        case "FROM": return .from(try argument(&reader))
        case "SUBJECT": return .subject(try argument(&reader))
        case "TEXT": return .text(try argument(&reader))
        case "TO": return .to(try argument(&reader))
        case "HEADER":
            let field = try argument(&reader)
            try reader.space(after: "the header field name")
            return .header(field: field, value: try reader.astring("a string after the header field name"))
        case "KEYWORD": return .keyword(try keyword(&reader))
        case "UNKEYWORD": return .unkeyword(try keyword(&reader))
        case "BEFORE": return .before(try date(&reader))
        case "ON": return .on(try date(&reader))
        case "SINCE": return .since(try date(&reader))
        case "SENTBEFORE": return .sentBefore(try date(&reader))
        case "SENTON": return .sentOn(try date(&reader))
        case "SENTSINCE": return .sentSince(try date(&reader))
        case "LARGER", "SMALLER":
            try reader.space(after: name)
            let size = try reader.number("a size")
            return name == "LARGER" ? .larger(size) : .smaller(size)
        case "UID":
            try reader.space(after: "UID")
            return .uid(try parseSequenceSet(&reader))
        case "NOT":
            try reader.space(after: "NOT")
            return .not(try parseSearchKey(&reader))
        case "OR":
            try reader.space(after: "OR")
            let first = try parseSearchKey(&reader)
            try reader.space(after: "the first key of OR")
            return .or(first, try parseSearchKey(&reader))
        default:
            throw IMAPParseError("Unknown search key \(name)")
        }
    }
}
