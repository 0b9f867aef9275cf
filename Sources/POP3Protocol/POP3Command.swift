/// A POP3 command (RFC 1939 §§4-7, CAPA from RFC 2449, AUTH from RFC 5034).
public enum POP3Command: Equatable, Sendable {
    case user(String)
    case pass(String)
    case stat
    case list(Int?)
    case retr(Int)
    case dele(Int)
    case noop
    case rset
    case quit
    case top(Int, lines: Int)
    case uidl(Int?)
    case capa
    /// AUTH [mechanism [initial-response]]
    case auth(mechanism: String?, initialResponse: [UInt8]?)
    /// STLS (RFC 2595 §4).
    case stls
    case unknown(String)
}

public struct POP3SyntaxError: Error, Equatable, Sendable {
    public var reason: String
}

public enum POP3CommandParser {
    /// Parses one command line without its CRLF. Keywords are case-insensitive (RFC 1939 §3).
    public static func parse(_ line: [UInt8]) -> Result<POP3Command, POP3SyntaxError> {
        let keywordEnd = line.firstIndex(of: UInt8(ascii: " ")) ?? line.count
        // Case-insensitive in ASCII only: Unicode case mapping would read "ſTAT" (U+017F) as STAT.
        let keyword = asciiUppercased(line[..<keywordEnd])
        let rest = keywordEnd < line.count ? Array(line[(keywordEnd + 1)...]) : []
        let arguments = String(decoding: rest, as: UTF8.self).split(separator: " ").map(String.init)
        func fail(_ reason: String) -> Result<POP3Command, POP3SyntaxError> { .failure(POP3SyntaxError(reason: reason)) }

        switch keyword {
        case "USER":
            // The name is everything after the space (addresses do not contain spaces). It must be
            // UTF-8, the only non-ASCII form RFC 6856 gives user names: no account has another
            // name, and decoding malformed bytes would log a U+FFFD the client never sent.
            guard arguments.count == 1, String(validating: rest, as: UTF8.self) != nil else {
                return fail("USER takes one argument: the full address")
            }
            return .success(.user(arguments[0]))
        case "PASS":
            // RFC 1939 §7: the password may contain spaces; it is the rest of the line.
            guard !rest.isEmpty, let password = String(validating: rest, as: UTF8.self) else {
                return fail("PASS takes the password")
            }
            return .success(.pass(password))
        case "STLS":
            guard arguments.isEmpty else { return fail("STLS takes no argument") }
            return .success(.stls)
        case "STAT", "NOOP", "RSET", "QUIT", "CAPA":
            guard arguments.isEmpty else { return fail("\(keyword) takes no argument") }
            switch keyword {
            case "STAT": return .success(.stat)
            case "NOOP": return .success(.noop)
            case "RSET": return .success(.rset)
            case "QUIT": return .success(.quit)
            default: return .success(.capa)
            }
        case "LIST", "UIDL":
            guard arguments.count <= 1 else { return fail("\(keyword) takes at most one message number") }
            var number: Int?
            if let argument = arguments.first {
                guard let parsed = messageNumber(argument) else { return fail("invalid message number") }
                number = parsed
            }
            return .success(keyword == "LIST" ? .list(number) : .uidl(number))
        case "RETR", "DELE":
            guard arguments.count == 1, let number = messageNumber(arguments[0]) else {
                return fail("\(keyword) takes one message number")
            }
            return .success(keyword == "RETR" ? .retr(number) : .dele(number))
        case "TOP":
            guard arguments.count == 2, let number = messageNumber(arguments[0]),
                  let lines = nonNegative(arguments[1]) else {
                return fail("TOP takes a message number and a line count")
            }
            return .success(.top(number, lines: lines))
        case "AUTH":
            guard arguments.count <= 2 else { return fail("AUTH takes a mechanism and an optional initial response") }
            return .success(.auth(mechanism: arguments.first.map { asciiUppercased($0.utf8) },
                                  initialResponse: arguments.count == 2 ? Array(arguments[1].utf8) : nil))
        default:
            return .success(.unknown(keyword))
        }
    }

    private static func asciiUppercased(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// msg = 1*DIGIT, at most 10 digits (no message list is that long).
    private static func messageNumber(_ text: String) -> Int? {
        guard let value = nonNegative(text), value > 0 else { return nil }
        return value
    }

    private static func nonNegative(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 10,
              text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int(text)
    }
}
