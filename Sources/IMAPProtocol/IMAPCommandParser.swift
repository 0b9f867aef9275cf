/// The IMAP command grammar (RFC 3501 §9 and the extensions in `IMAPCommand`): one function
/// per rule, its ABNF above it, as swift-nio-imap's `GrammarParser`.
public enum IMAPCommandParser {
    /// Parses one frame from `IMAPFramer`. A failure carries the tag when it was readable and
    /// the text for the BAD reply.
    public static func parse(_ frame: IMAPFrame, limits: IMAPLimits = IMAPLimits()) -> Result<IMAPTaggedCommand, IMAPCommandError> {
        var reader = IMAPGrammarReader(frame: frame, maximumDepth: limits.maximumNestingDepth)
        var tag: String?
        do {
            tag = try parseTag(&reader)
            try reader.space(after: "the tag")
            let command = try parseCommand(&reader)
            try reader.expectEnd("the command")
            return .success(IMAPTaggedCommand(tag: tag!, command: command))
        } catch let error as IMAPParseError {
            return .failure(IMAPCommandError(tag: tag ?? frame.tag, text: error.text))
        } catch {
            return .failure(IMAPCommandError(tag: tag, text: "Syntax error"))
        }
    }

    /// Convenience for tests and tools: a command without literals streamed.
    public static func parse(_ line: String, limits: IMAPLimits = IMAPLimits()) -> Result<IMAPTaggedCommand, IMAPCommandError> {
        parse(IMAPFrame(bytes: Array(line.utf8)), limits: limits)
    }

    /// The line that ends IDLE (RFC 2177 §3): "DONE", in any ASCII case, untagged.
    public static func isIdleDone(_ frame: IMAPFrame) -> Bool {
        frame.streamedLiterals.isEmpty && IMAPCharacters.uppercased(frame.bytes) == "DONE"
    }

    /// tag = 1*<any ASTRING-CHAR except "+">
    static func parseTag(_ reader: inout IMAPGrammarReader) throws -> String {
        let taken = reader.take { IMAPCharacters.isAStringChar($0) && $0 != UInt8(ascii: "+") }
        guard !taken.isEmpty else { throw IMAPParseError(reader.isAtEnd ? "Empty command" : "Invalid tag") }
        return String(decoding: taken, as: UTF8.self)
    }

    /// command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF
    static func parseCommand(_ reader: inout IMAPGrammarReader) throws -> IMAPCommand {
        let name = try reader.keyword("a command name")
        switch name {
        // command-any = "CAPABILITY" / "LOGOUT" / "NOOP" / x-command
        case "CAPABILITY": return .capability
        case "NOOP": return .noop
        case "LOGOUT": return .logout
        case "STARTTLS": return .starttls
        case "CHECK": return .check
        case "CLOSE": return .close
        case "EXPUNGE": return .expunge
        case "UNSELECT": return .unselect
        case "NAMESPACE": return .namespace
        case "IDLE": return .idle
        case "AUTHENTICATE": return try parseAuthenticate(&reader)
        case "LOGIN":
            // login = "LOGIN" SP userid SP password ; userid = astring ; password = astring
            try reader.space(after: "LOGIN")
            let user = try reader.astring("a user name")
            try reader.space(after: "the user name")
            return .login(username: user, password: try reader.astring("a password"))
        case "SELECT", "EXAMINE":
            // select = "SELECT" SP mailbox [select-params]   (RFC 4466 §2.1)
            try reader.space(after: name)
            let mailbox = try reader.mailbox()
            let parameters = try parseSelectParameters(&reader)
            return name == "SELECT" ? .select(mailbox, parameters: parameters) : .examine(mailbox, parameters: parameters)
        case "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE":
            try reader.space(after: name)
            let mailbox = try reader.mailbox()
            switch name {
            case "CREATE": return .create(mailbox)
            case "DELETE": return .delete(mailbox)
            case "SUBSCRIBE": return .subscribe(mailbox)
            default: return .unsubscribe(mailbox)
            }
        case "RENAME":
            // rename = "RENAME" SP mailbox SP mailbox
            try reader.space(after: "RENAME")
            let from = try reader.mailbox()
            try reader.space(after: "the mailbox name")
            return .rename(from: from, to: try reader.mailbox())
        case "LIST": return .list(try parseList(&reader))
        case "LSUB":
            // lsub = "LSUB" SP mailbox SP list-mailbox
            try reader.space(after: "LSUB")
            let reference = try reader.mailbox()
            try reader.space(after: "the reference")
            return .lsub(reference: reference, pattern: try reader.listMailbox())
        case "STATUS": return try parseStatus(&reader)
        case "APPEND": return try parseAppend(&reader)
        case "ENABLE":
            // enable = "ENABLE" 1*(SP capability)   (RFC 5161 §4)
            var capabilities: [String] = []
            try reader.space(after: "ENABLE")
            repeat {
                capabilities.append(try reader.atom("a capability"))
            } while reader.skip(" ")
            return .enable(capabilities)
        case "ID": return .id(try parseID(&reader))
        case "SEARCH": return .search(try parseSearch(&reader), uid: false)
        case "FETCH": return try parseFetch(&reader, uid: false)
        case "STORE": return try parseStore(&reader, uid: false)
        case "COPY", "MOVE": return try parseCopy(&reader, name: name, uid: false)
        case "UID": return try parseUID(&reader)
        default:
            throw IMAPParseError("Unknown command \(name)")
        }
    }

    /// uid = "UID" SP ("COPY" / "MOVE" / "FETCH" / "SEARCH" / "STORE" / "EXPUNGE" SP sequence-set)
    /// (RFC 3501, RFC 4315 §2.1, RFC 6851 §3.2)
    static func parseUID(_ reader: inout IMAPGrammarReader) throws -> IMAPCommand {
        try reader.space(after: "UID")
        let name = try reader.keyword("a command after UID")
        switch name {
        case "SEARCH": return .search(try parseSearch(&reader), uid: true)
        case "FETCH": return try parseFetch(&reader, uid: true)
        case "STORE": return try parseStore(&reader, uid: true)
        case "COPY", "MOVE": return try parseCopy(&reader, name: name, uid: true)
        case "EXPUNGE":
            try reader.space(after: "UID EXPUNGE")
            return .uidExpunge(try parseSequenceSet(&reader))
        default:
            throw IMAPParseError("UID \(name) is not a command")
        }
    }

    /// authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]   (RFC 4959 §7)
    /// base64 = *(4base64-char) [base64-terminal]
    static func parseAuthenticate(_ reader: inout IMAPGrammarReader) throws -> IMAPCommand {
        try reader.space(after: "AUTHENTICATE")
        let mechanism = try reader.keyword("a SASL mechanism")
        guard reader.skip(" ") else { return .authenticate(mechanism: mechanism, initialResponse: nil) }
        if reader.skip("=") {
            return .authenticate(mechanism: mechanism, initialResponse: [])
        }
        let response = reader.take { byte in
            IMAPCharacters.isDigit(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
        }
        guard !response.isEmpty, response.count % 4 == 0 else { throw IMAPParseError("Invalid base64 initial response") }
        return .authenticate(mechanism: mechanism, initialResponse: Array(response))
    }

    /// copy = "COPY" SP sequence-set SP mailbox ; move = "MOVE" SP sequence-set SP mailbox
    static func parseCopy(_ reader: inout IMAPGrammarReader, name: String, uid: Bool) throws -> IMAPCommand {
        try reader.space(after: name)
        let set = try parseSequenceSet(&reader)
        try reader.space(after: "the sequence set")
        let mailbox = try reader.mailbox()
        return name == "COPY" ? .copy(set, mailbox, uid: uid) : .move(set, mailbox, uid: uid)
    }

    /// sequence-set = (seq-number / seq-range) *("," sequence-set)
    /// seq-range = seq-number ":" seq-number ; seq-number = nz-number / "*"
    static func parseSequenceSet(_ reader: inout IMAPGrammarReader) throws -> IMAPSequenceSet {
        func bound(_ reader: inout IMAPGrammarReader) throws -> IMAPSequenceSet.Bound {
            if reader.skip("*") { return .last }
            if reader.peek("$") { throw IMAPParseError("$ (SEARCHRES) is not supported") }
            return .number(try reader.nzNumber("a message number (1 or more) or *"))
        }
        var ranges: [IMAPSequenceSet.Range] = []
        repeat {
            let first = try bound(&reader)
            ranges.append(reader.skip(":") ? .init(first, try bound(&reader)) : .init(first))
        } while reader.skip(",")
        return IMAPSequenceSet(ranges)
    }
}
