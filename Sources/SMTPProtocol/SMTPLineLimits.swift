/// How long a command line may be. The framer reads up to `framerLimit`; `permits` applies the
/// limit of each kind of line after it, so one framer serves commands and SASL responses.
public enum SMTPLineLimits {
    /// RFC 5321 §4.5.3.1.4: 512 octets with the CRLF.
    public static let command = 512
    /// RFC 4954 §5: the AUTH parameter adds up to 500 octets to MAIL FROM; RFC 3461 §4: RET
    /// and ENVID add 100 more.
    public static let mail = command + 500 + 100
    /// RFC 3461 §4: NOTIFY and ORCPT add up to 500 octets to RCPT TO.
    public static let rcpt = command + 500
    /// RFC 4954 §4: 12288 octets suffice for the responses of deployed SASL mechanisms; an AUTH
    /// line with an initial response and each response of an exchange may be that long.
    public static let sasl = 12_288 + 2
    public static let framerLimit = sasl

    /// `line` is without its CRLF; `saslResponse` when the session reads SASL responses.
    public static func permits(_ line: [UInt8], saslResponse: Bool) -> Bool {
        let length = line.count + 2
        if length <= command { return true }
        if saslResponse { return length <= sasl }
        if startsWithVerb("AUTH", line) { return length <= sasl }
        if startsWithVerb("MAIL", line) { return length <= mail }
        if startsWithVerb("RCPT", line) { return length <= rcpt }
        return false
    }

    private static func startsWithVerb(_ verb: StaticString, _ line: [UInt8]) -> Bool {
        let expected = verb.withUTF8Buffer { Array($0) }
        guard line.count > expected.count, line[expected.count] == UInt8(ascii: " ") else { return false }
        return zip(line, expected).allSatisfy { ($0 & 0xDF) == $1 }
    }
}
