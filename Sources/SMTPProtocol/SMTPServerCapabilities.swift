/// What a server announced in its EHLO reply (RFC 5321 §4.1.1.1: each line after the first is
/// an extension keyword and its parameters). A HELO greeting announces nothing.
public struct SMTPServerCapabilities: Sendable, Equatable {
    /// RFC 2920.
    public var pipelining = false
    /// RFC 1870 §4: SIZE [n]; nil when not announced, 0 when announced without a limit.
    public var sizeLimit: Int?
    /// RFC 6152.
    public var eightBitMIME = false
    /// RFC 6531.
    public var smtputf8 = false
    /// RFC 3461.
    public var dsn = false
    /// RFC 3207.
    public var startTLS = false
    /// RFC 4954: the SASL mechanisms listed after AUTH, upper-cased.
    public var authMechanisms: Set<String> = []
    /// RFC 3030.
    public var chunking = false
    /// RFC 2034.
    public var enhancedStatusCodes = false

    public init() {}

    /// Reads the lines of a 250 reply to EHLO; unknown keywords and bad parameters are ignored
    /// (a server may announce extensions this client does not use).
    public init(ehloReply lines: [String]) {
        for line in lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first?.uppercasedASCII else { continue }
            let arguments = words.dropFirst()
            switch keyword {
            case "PIPELINING": pipelining = true
            case "SIZE":
                // RFC 1870 §4: size-param = [1*DIGIT]; 0 or absent means no fixed limit.
                if let value = arguments.first {
                    if value.count <= 18, value.utf8.allSatisfy({ (48...57).contains($0) }), let limit = Int(value) {
                        sizeLimit = limit
                    }
                } else {
                    sizeLimit = 0
                }
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtputf8 = true
            case "DSN": dsn = true
            case "STARTTLS": startTLS = true
            case "AUTH": authMechanisms.formUnion(arguments.prefix(30).map(\.uppercasedASCII))
            case "CHUNKING": chunking = true
            case "ENHANCEDSTATUSCODES": enhancedStatusCodes = true
            default: continue
            }
        }
    }
}

extension String {
    /// ASCII letters only: Unicode case mapping would read "ſTARTTLS" as STARTTLS.
    var uppercasedASCII: String {
        String(decoding: utf8.map { (97...122).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }
}
