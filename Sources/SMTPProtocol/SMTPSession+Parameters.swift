/// MAIL and RCPT parameters shared rules, and RCPT's own (the DSN extension's NOTIFY and ORCPT,
/// RFC 3461 §4.1, §4.2). MAIL's are read in `beginTransaction`, next to the limits they check.
extension SMTPSession {
    /// Why a parameter was refused, and the reply that says so.
    enum ParameterRefusal: Error, Equatable {
        /// RFC 5321 §4.1.2 lets a keyword appear once per command; RFC 3461 §4 says so of
        /// each DSN parameter. A second one is a syntax error rather than a silent override.
        case repeated(String)
        case malformed(String)
        /// RFC 5321 §4.1.1.11: a parameter the server does not know: 555.
        case unsupported(String)

        var reply: SMTPReply {
            switch self {
            case .repeated(let keyword): return .syntaxError("\(keyword) given more than once")
            case .malformed(let keyword): return .syntaxError("bad \(keyword) value: \(Self.expected(keyword))")
            case .unsupported(let keyword): return .parameterNotImplemented(keyword)
            }
        }

        /// What a well-formed value looks like, for the client's author.
        private static func expected(_ keyword: String) -> String {
            switch keyword {
            case "RET": return "FULL or HDRS (RFC 3461 §4.3)"
            case "ENVID": return "xtext of at most 100 characters (RFC 3461 §4.4)"
            case "NOTIFY": return "NEVER, or SUCCESS, FAILURE, DELAY separated by commas (RFC 3461 §4.1)"
            case "ORCPT": return "addr-type;xtext of at most 500 characters (RFC 3461 §4.2)"
            default: return "see its RFC"
            }
        }
    }

    /// The first keyword given twice (keywords are already upper-cased by the parser).
    static func repeatedKeyword(in parameters: [SMTPParameter]) -> String? {
        var seen = Set<String>()
        return parameters.first { !seen.insert($0.keyword).inserted }?.keyword
    }

    /// RCPT's parameters: NOTIFY and ORCPT are the only ones Tsubame knows on RCPT.
    static func recipientParameters(_ parameters: [SMTPParameter]) -> Result<DSNRecipientParameters, ParameterRefusal> {
        if let repeated = repeatedKeyword(in: parameters) { return .failure(.repeated(repeated)) }
        var dsn = DSNRecipientParameters()
        for parameter in parameters {
            switch parameter.keyword {
            case "NOTIFY":
                guard let value = parameter.value, let notify = DSNNotify(parameterValue: value) else {
                    return .failure(.malformed("NOTIFY"))
                }
                dsn.notify = notify
            case "ORCPT":
                guard let value = parameter.value, let original = DSNOriginalRecipient(parameterValue: value) else {
                    return .failure(.malformed("ORCPT"))
                }
                dsn.originalRecipient = original
            default:
                return .failure(.unsupported(parameter.keyword))
            }
        }
        return .success(dsn)
    }
}
