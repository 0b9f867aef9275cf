/// Rules of the mailbox commands: SELECT parameters, LIST, STATUS, APPEND, ID.
extension IMAPCommandParser {
    /// select-params = SP "(" select-param *(SP select-param) ")"   (RFC 4466 §2.1)
    /// select-param = select-param-name [SP select-param-value]
    /// Values are taken as a number or an astring; list values are refused.
    static func parseSelectParameters(_ reader: inout IMAPGrammarReader) throws -> [IMAPParameter] {
        guard reader.skip(" ") else { return [] }
        return try reader.list("the SELECT parameters") { reader in
            let name = try reader.keyword("a parameter name")
            guard reader.skip(" ") else { return IMAPParameter(name: name) }
            if reader.peek("(") { throw IMAPParseError("List values of SELECT parameters are not supported") }
            return IMAPParameter(name: name, value: try reader.astring("a parameter value"))
        }
    }

    /// list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    /// list-select-opts = "(" [list-select-option *(SP list-select-option)] ")"
    /// mbox-or-pat = list-mailbox / patterns ; patterns = "(" list-mailbox *(SP list-mailbox) ")"
    /// list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
    /// (RFC 5258 §6; STATUS from RFC 5819 §2; SPECIAL-USE from RFC 6154 §6)
    static func parseList(_ reader: inout IMAPGrammarReader) throws -> IMAPListCommand {
        try reader.space(after: "LIST")
        var selection: [IMAPListCommand.SelectionOption] = []
        if reader.peek("(") {
            selection = try reader.list("the LIST selection options", allowEmpty: true) { reader in
                switch try reader.keyword("a selection option") {
                case "SUBSCRIBED": return .subscribed
                case "REMOTE": return .remote
                case "RECURSIVEMATCH": return .recursiveMatch
                case "SPECIAL-USE": return .specialUse
                case let other: return .other(other)
                }
            }
            try reader.space(after: "the selection options")
        }
        let reference = try reader.mailbox()
        try reader.space(after: "the reference")
        var patterns: [[UInt8]]
        var parenthesized = false
        if reader.peek("(") {
            patterns = try reader.list("the mailbox patterns") { try $0.listMailbox() }
            parenthesized = true
        } else {
            patterns = [try reader.listMailbox()]
        }
        var returnOptions: [IMAPListCommand.ReturnOption]?
        if reader.skip(" ") {
            guard reader.skipKeyword("RETURN") else { throw IMAPParseError("Expected RETURN after the LIST patterns") }
            try reader.space(after: "RETURN")
            returnOptions = try reader.list("the LIST return options", allowEmpty: true) { reader in
                switch try reader.keyword("a return option") {
                case "SUBSCRIBED": return .subscribed
                case "CHILDREN": return .children
                case "SPECIAL-USE": return .specialUse
                case "STATUS":
                    try reader.space(after: "STATUS")
                    return .status(try parseStatusAttributes(&reader))
                case let other: return .other(other)
                }
            }
        }
        if selection.contains(.recursiveMatch) && selection.allSatisfy({ $0 == .recursiveMatch }) {
            // RFC 5258 §3.1: RECURSIVEMATCH alone is a syntax error.
            throw IMAPParseError("RECURSIVEMATCH needs another selection option")
        }
        return IMAPListCommand(selectionOptions: selection, reference: reference, patterns: patterns,
                               parenthesizedPatterns: parenthesized, returnOptions: returnOptions)
    }

    /// status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
    static func parseStatus(_ reader: inout IMAPGrammarReader) throws -> IMAPCommand {
        try reader.space(after: "STATUS")
        let mailbox = try reader.mailbox()
        try reader.space(after: "the mailbox name")
        return .status(mailbox, try parseStatusAttributes(&reader))
    }

    /// "(" status-att *(SP status-att) ")"
    /// status-att = "MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN"
    static func parseStatusAttributes(_ reader: inout IMAPGrammarReader) throws -> [IMAPStatusAttribute] {
        try reader.list("the status attributes") { reader in
            let name = try reader.keyword("a status attribute")
            guard let attribute = IMAPStatusAttribute(rawValue: name) else {
                throw IMAPParseError("Unknown status attribute \(name)")
            }
            return attribute
        }
    }

    /// append = "APPEND" SP mailbox 1*append-message          (RFC 3502 §6, MULTIAPPEND)
    /// append-message = [SP flag-list] [SP date-time] SP literal
    static func parseAppend(_ reader: inout IMAPGrammarReader) throws -> IMAPCommand {
        try reader.space(after: "APPEND")
        let mailbox = try reader.mailbox()
        var messages: [IMAPAppendMessage] = []
        while reader.skip(" ") {
            var message = IMAPAppendMessage(data: .inline([]))
            if reader.peek("(") {
                message.flags = try parseFlagList(&reader, storable: true)
                try reader.space(after: "the flags")
            }
            if reader.peek("\"") {
                message.internalDate = try parseDateTime(&reader)
                try reader.space(after: "the date")
            }
            guard reader.peek("{") else { throw IMAPParseError("Expected the message as a literal") }
            message.data = try reader.literal()
            messages.append(message)
        }
        guard !messages.isEmpty else { throw IMAPParseError("Missing arguments after the mailbox name") }
        return .append(mailbox, messages)
    }

    /// id = "ID" SP id-params-list   (RFC 2971 §4)
    /// id-params-list = "(" *(string SP nstring) ")" / nil
    /// At most 30 pairs (RFC 2971 §3.3).
    static func parseID(_ reader: inout IMAPGrammarReader) throws -> [IMAPIDField]? {
        try reader.space(after: "ID")
        if reader.skipKeyword("NIL") { return nil }
        let fields: [IMAPIDField] = try reader.list("the ID parameters", allowEmpty: true) { reader in
            let name = try reader.string("an ID field name")
            try reader.space(after: "the ID field name")
            return IMAPIDField(name: name, value: try reader.nstring("an ID value"))
        }
        guard fields.count <= 30 else { throw IMAPParseError("Too many ID fields") }
        return fields
    }

    /// flag-list = "(" [flag *(SP flag)] ")"
    /// flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / flag-keyword / flag-extension
    /// `storable` refuses \Recent, which only the server sets (RFC 3501 §2.3.2).
    static func parseFlagList(_ reader: inout IMAPGrammarReader, storable: Bool) throws -> [IMAPFlag] {
        try reader.list("the flag list", allowEmpty: true) { try parseFlag(&$0, storable: storable) }
    }

    /// flag-keyword = atom ; flag-extension = "\" atom
    static func parseFlag(_ reader: inout IMAPGrammarReader, storable: Bool) throws -> IMAPFlag {
        let backslash = reader.skip("\\")
        let name = try reader.atom("a flag")
        let flag = IMAPFlag(wire: (backslash ? "\\" : "") + name)
        if storable && flag == .recent { throw IMAPParseError("\\Recent cannot be set by a client") }
        return flag
    }

    /// date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
    /// date-day-fixed = (SP DIGIT) / 2DIGIT ; time = 2DIGIT ":" 2DIGIT ":" 2DIGIT
    /// zone = ("+" / "-") 4DIGIT
    /// A one-digit day without its space is taken too, as Dovecot does.
    static func parseDateTime(_ reader: inout IMAPGrammarReader) throws -> IMAPDateTime {
        try reader.expect("\"", "a date-time")
        _ = reader.skip(" ")
        let date = try parseDateText(&reader)
        try reader.expect(" ", "a space before the time")
        let hour = try fixedDigits(&reader, 2, "the hour")
        try reader.expect(":", ": in the time")
        let minute = try fixedDigits(&reader, 2, "the minutes")
        try reader.expect(":", ": in the time")
        let second = try fixedDigits(&reader, 2, "the seconds")
        try reader.expect(" ", "a space before the zone")
        let negative: Bool
        if reader.skip("+") { negative = false } else if reader.skip("-") { negative = true } else {
            throw IMAPParseError("Expected a zone such as +0000")
        }
        let zone = try fixedDigits(&reader, 4, "the zone")
        try reader.expect("\"", "\" to end the date-time")
        guard hour < 24, minute < 60, second < 61, zone % 100 < 60 else { throw IMAPParseError("Invalid time") }
        let minutes = zone / 100 * 60 + zone % 100
        return IMAPDateTime(date: date, hour: hour, minute: minute, second: second,
                            zoneMinutes: negative ? -minutes : minutes)
    }

    /// date-text = date-day "-" date-month "-" date-year ; date-day = 1*2DIGIT ; date-year = 4DIGIT
    static func parseDateText(_ reader: inout IMAPGrammarReader) throws -> IMAPDate {
        let dayDigits = reader.take(while: IMAPCharacters.isDigit)
        guard (1...2).contains(dayDigits.count) else { throw IMAPParseError("Expected a day of the month") }
        let day = dayDigits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        try reader.expect("-", "- after the day")
        let monthName = reader.take { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        guard let month = IMAPDate.monthNames.firstIndex(where: { $0.uppercased() == IMAPCharacters.uppercased(monthName) }) else {
            throw IMAPParseError("Expected a month such as Jan")
        }
        try reader.expect("-", "- after the month")
        let year = try fixedDigits(&reader, 4, "a four-digit year")
        guard (1...31).contains(day) else { throw IMAPParseError("Invalid day of the month") }
        return IMAPDate(year: year, month: month + 1, day: day)
    }

    static func fixedDigits(_ reader: inout IMAPGrammarReader, _ count: Int, _ what: String) throws -> Int {
        var value = 0
        for _ in 0..<count {
            guard let byte = reader.next, IMAPCharacters.isDigit(byte) else { throw IMAPParseError("Expected \(what)") }
            reader.advance()
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}
