/// FETCH and STORE (RFC 3501 §6.4.5, §6.4.6, §9).
extension IMAPCommandParser {
    /// fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att /
    ///         "(" fetch-att *(SP fetch-att) ")")
    static func parseFetch(_ reader: inout IMAPGrammarReader, uid: Bool) throws -> IMAPCommand {
        try reader.space(after: "FETCH")
        let set = try parseSequenceSet(&reader)
        try reader.space(after: "the sequence set")
        let attributes: [IMAPFetchAttribute]
        if reader.peek("(") {
            attributes = try reader.list("the fetch attributes") { try parseFetchAttribute(&$0) }
        } else if reader.skipKeyword("ALL") {
            attributes = IMAPFetchAttribute.all
        } else if reader.skipKeyword("FAST") {
            attributes = IMAPFetchAttribute.fast
        } else if reader.skipKeyword("FULL") {
            attributes = IMAPFetchAttribute.full
        } else {
            attributes = [try parseFetchAttribute(&reader)]
        }
        return .fetch(set, attributes, uid: uid)
    }

    /// fetch-att = "ENVELOPE" / "FLAGS" / "INTERNALDATE" / "RFC822" [".HEADER" / ".SIZE" / ".TEXT"] /
    ///   "BODY" ["STRUCTURE"] / "UID" / "BODY" section ["<" number "." nz-number ">"] /
    ///   "BODY.PEEK" section ["<" number "." nz-number ">"]
    static func parseFetchAttribute(_ reader: inout IMAPGrammarReader) throws -> IMAPFetchAttribute {
        // The name stops at "[" (an atom-char, but it starts the section here).
        let name = IMAPCharacters.uppercased(reader.take { IMAPCharacters.isAtomChar($0) && $0 != UInt8(ascii: "[") })
        switch name {
        case "ENVELOPE": return .envelope
        case "FLAGS": return .flags
        case "INTERNALDATE": return .internalDate
        case "RFC822": return .rfc822
        case "RFC822.HEADER": return .rfc822Header
        case "RFC822.SIZE": return .rfc822Size
        case "RFC822.TEXT": return .rfc822Text
        case "BODYSTRUCTURE": return .bodyStructure
        case "UID": return .uid
        case "BODY" where !reader.peek("["): return .body
        case "BODY", "BODY.PEEK":
            let section = try parseSection(&reader)
            var partial: IMAPPartial?
            if reader.skip("<") {
                let offset = try reader.number("the partial offset")
                try reader.expect(".", ". in the partial range")
                let length = try reader.nzNumber("the partial length")
                try reader.expect(">", "> to end the partial range")
                partial = IMAPPartial(offset: offset, length: length)
            }
            return .bodySection(section, partial: partial, peek: name == "BODY.PEEK")
        case "":
            throw IMAPParseError("Expected a fetch attribute")
        default:
            throw IMAPParseError("Unknown fetch attribute \(name)")
        }
    }

    /// section = "[" [section-spec] "]"
    /// section-spec = section-msgtext / (section-part ["." section-text])
    /// section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
    /// section-part = nz-number *("." nz-number)
    /// section-text = section-msgtext / "MIME"
    static func parseSection(_ reader: inout IMAPGrammarReader) throws -> IMAPSection {
        try reader.expect("[", "[ to open the section")
        var section = IMAPSection()
        if reader.skip("]") { return section }
        var wantText = true
        if let next = reader.next, IMAPCharacters.isDigit(next) {
            repeat {
                guard section.part.count < 64 else { throw IMAPParseError("Section part too deep") }
                section.part.append(Int(try reader.nzNumber("a part number")))
                if !reader.skip(".") {
                    wantText = false
                    break
                }
            } while reader.next.map(IMAPCharacters.isDigit) ?? false
        }
        if wantText {
            let name = IMAPCharacters.uppercased(reader.take {
                (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: ".")
            })
            switch name {
            case "HEADER": section.text = .header
            case "TEXT": section.text = .text
            case "MIME" where !section.part.isEmpty: section.text = .mime
            case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
                try reader.space(after: name)
                // header-list = "(" header-fld-name *(SP header-fld-name) ")" ; header-fld-name = astring
                let fields = try reader.list("the header field names") { try $0.astring("a header field name") }
                section.text = name == "HEADER.FIELDS" ? .headerFields(fields) : .headerFieldsNot(fields)
            default:
                throw IMAPParseError("Invalid section \(name.isEmpty ? "specification" : name)")
            }
        }
        try reader.expect("]", "] to close the section")
        return section
    }

    /// store = "STORE" SP sequence-set SP store-att-flags
    /// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
    static func parseStore(_ reader: inout IMAPGrammarReader, uid: Bool) throws -> IMAPCommand {
        try reader.space(after: "STORE")
        let set = try parseSequenceSet(&reader)
        try reader.space(after: "the sequence set")
        let operation: IMAPStoreAction.Operation
        if reader.skip("+") { operation = .add } else if reader.skip("-") { operation = .remove } else { operation = .replace }
        let item = try reader.keyword("FLAGS or FLAGS.SILENT")
        guard item == "FLAGS" || item == "FLAGS.SILENT" else { throw IMAPParseError("Unknown STORE item \(item)") }
        try reader.space(after: item)
        var flags: [IMAPFlag]
        if reader.peek("(") {
            flags = try parseFlagList(&reader, storable: true)
        } else {
            flags = []
            repeat {
                flags.append(try parseFlag(&reader, storable: true))
            } while reader.skip(" ")
        }
        return .store(set, IMAPStoreAction(operation, silent: item == "FLAGS.SILENT", flags: flags), uid: uid)
    }
}
