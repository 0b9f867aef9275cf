/// Turns one command line (without its CRLF) into an `SMTPCommand`.
public enum SMTPCommandParser {
    /// The largest BDAT chunk size accepted as a number; bigger sizes are a syntax error.
    /// The session checks the message size limit as soon as a BDAT announces its size.
    static let maximumChunkSizeDigits = 12

    public static func parse(_ line: some Collection<UInt8>) -> Result<SMTPCommand, SMTPCommandSyntaxError> {
        let bytes = Array(line)
        let verbEnd = bytes.firstIndex(of: UInt8(ascii: " ")) ?? bytes.count
        // RFC 5321 §2.4: verbs are case-insensitive in ASCII only; Unicode case mapping would
        // read "ſTARTTLS" (U+017F) as STARTTLS.
        let verb = String(decoding: bytes[..<verbEnd].map(asciiUppercased), as: UTF8.self)
        var argumentStart = verbEnd
        if argumentStart < bytes.count { argumentStart += 1 }
        let argument = Array(bytes[argumentStart...])
        let failure = { (reason: String) in Result<SMTPCommand, SMTPCommandSyntaxError>.failure(.init(verb: verb, reason: reason)) }

        switch verb {
        case "EHLO", "HELO":
            // RFC 5321 §4.1.1.1: ehlo = "EHLO" SP ( Domain / address-literal ); any token is
            // accepted here (many clients send bare hostnames or garbage); it only goes into
            // the Received header, after sanitising, and into the log. A domain is ASCII or, with
            // SMTPUTF8, UTF-8 U-labels (RFC 6531 §3.3); malformed UTF-8 is refused rather than
            // kept as U+FFFD, which would log and record a name the client never sent.
            guard let text = String(validating: argument, as: UTF8.self)?.trimmingSpaces() else {
                return failure("bad \(verb) argument")
            }
            guard !text.isEmpty else { return failure("\(verb) requires a domain name") }
            let name = String(text.prefix { $0 != " " })
            guard name.utf8.allSatisfy({ $0 > 32 && $0 != 127 }) else { return failure("bad \(verb) argument") }
            return .success(verb == "EHLO" ? .ehlo(name) : .helo(name))

        case "MAIL":
            guard let pathStart = argumentAfterKeyword("FROM:", in: argument) else {
                return failure("use MAIL FROM:<address>")
            }
            var parser = SMTPPathParser(argument, from: pathStart)
            parser.skipSpaces()  // tolerated, as Postfix does: "MAIL FROM: <a@b>"
            do {
                let path = try parser.parseReversePath()
                let parameters = try parser.parseParameters()
                return .success(.mail(path, parameters))
            } catch {
                return failure(error.reason)
            }

        case "RCPT":
            guard let pathStart = argumentAfterKeyword("TO:", in: argument) else {
                return failure("use RCPT TO:<address>")
            }
            var parser = SMTPPathParser(argument, from: pathStart)
            parser.skipSpaces()
            do {
                let mailbox = try parser.parseForwardPath()
                let parameters = try parser.parseParameters()
                return .success(.rcpt(mailbox, parameters))
            } catch {
                return failure(error.reason)
            }

        case "BDAT":
            // bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; end-marker = "LAST" (RFC 3030 §2)
            let words = String(decoding: argument, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
            guard let sizeWord = words.first, !sizeWord.isEmpty, sizeWord.count <= maximumChunkSizeDigits,
                  sizeWord.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let size = Int(sizeWord) else {
                return failure("use BDAT <chunk-size> [LAST]")
            }
            switch words.count {
            case 1: return .success(.bdat(size: size, last: false))
            case 2 where words[1].utf8.map(asciiUppercased) == Array("LAST".utf8): return .success(.bdat(size: size, last: true))
            default: return failure("use BDAT <chunk-size> [LAST]")
            }

        case "DATA", "RSET", "QUIT":
            guard argument.isEmpty else { return failure("\(verb) takes no argument") }
            return .success(verb == "DATA" ? .data : verb == "RSET" ? .rset : .quit)

        case "NOOP":
            return .success(.noop)  // RFC 5321 §4.1.1.9: the argument is ignored
        case "HELP":
            return .success(.help)
        case "VRFY":
            let text = String(decoding: argument, as: UTF8.self).trimmingSpaces()
            guard !text.isEmpty else { return failure("VRFY requires an argument") }
            return .success(.vrfy(text))
        case "STARTTLS":
            guard argument.isEmpty else { return failure("STARTTLS takes no argument") }
            return .success(.starttls)
        case "AUTH":
            return parseAuth(argument).mapError { SMTPCommandSyntaxError(verb: verb, reason: $0.reason) }
        case "EXPN", "TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML":
            return .success(.notImplemented(verb))
        default:
            return .success(.unknown(verb))
        }
    }

    /// RFC 4954 §4: auth-command = "AUTH" SP sasl-mech [SP initial-response];
    /// sasl-mech = 1*20mech-char (RFC 4422 §3.1: upper-case letters, digits, "-", "_", compared
    /// case-insensitively); initial-response = base64 / "=". Whether the base64 decodes is the
    /// SASL exchange's question (501 5.5.2), not a syntax error of the command.
    static func parseAuth(_ argument: [UInt8]) -> Result<SMTPCommand, SMTPPathParser.Failure> {
        let words = argument.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard let name = words.first, (1...20).contains(name.count), words.count <= 2 else {
            return .failure(.syntax("use AUTH <mechanism> [initial-response]"))
        }
        let mechanism = name.map(asciiUppercased)
        let isMechanismCharacter = { (byte: UInt8) in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard mechanism.allSatisfy(isMechanismCharacter) else { return .failure(.syntax("bad mechanism name")) }
        var initialResponse: [UInt8]?
        if words.count == 2 {
            guard !words[1].isEmpty, words[1].allSatisfy({ $0 > 32 && $0 < 127 }) else {
                return .failure(.syntax("bad initial response"))
            }
            initialResponse = Array(words[1])
        }
        return .success(.auth(mechanism: String(decoding: mechanism, as: UTF8.self), initialResponse: initialResponse))
    }

    /// Finds "FROM:" / "TO:" case-insensitively at the start of the argument.
    private static func argumentAfterKeyword(_ keyword: String, in argument: [UInt8]) -> Int? {
        let expected = Array(keyword.utf8)
        guard argument.count >= expected.count else { return nil }
        for (offset, byte) in expected.enumerated() where asciiUppercased(argument[offset]) != byte {
            return nil
        }
        return expected.count
    }

    private static func asciiUppercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
    }
}

extension SMTPPathParser.Failure {
    var reason: String {
        switch self {
        case .syntax(let reason): return reason
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
