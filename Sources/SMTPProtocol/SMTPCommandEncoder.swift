import NIOCore

/// The client side of the command grammar: writes an `SMTPCommand` as the line
/// `SMTPCommandParser` reads back to the same value (RFC 5321 §4.1.1).
public enum SMTPCommandEncoder {
    /// The command line without its CRLF.
    public static func line(_ command: SMTPCommand) -> String {
        switch command {
        case .helo(let domain): return "HELO \(domain)"
        case .ehlo(let domain): return "EHLO \(domain)"
        // RFC 5321 §4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters]
        case .mail(let path, let parameters): return "MAIL FROM:\(path)" + encode(parameters)
        // RFC 5321 §4.1.1.3: "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
        case .rcpt(let mailbox, let parameters): return "RCPT TO:<\(mailbox)>" + encode(parameters)
        case .data: return "DATA"
        // RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ]
        case .bdat(let size, let last): return "BDAT \(size)" + (last ? " LAST" : "")
        case .rset: return "RSET"
        case .noop: return "NOOP"
        case .quit: return "QUIT"
        case .vrfy(let text): return "VRFY \(text)"
        case .help: return "HELP"
        case .starttls: return "STARTTLS"
        // RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]
        case .auth(let mechanism, let response):
            return "AUTH \(mechanism)" + (response.map { " " + String(decoding: $0, as: UTF8.self) } ?? "")
        case .notImplemented(let verb), .unknown(let verb): return verb
        }
    }

    /// esmtp-param *(SP esmtp-param), each keyword ["=" value] (RFC 5321 §4.1.2).
    static func encode(_ parameters: [SMTPParameter]) -> String {
        parameters.map { " " + $0.keyword + ($0.value.map { "=" + $0 } ?? "") }.joined()
    }
}

extension ByteBuffer {
    /// Writes the command line and its CRLF.
    @discardableResult
    public mutating func writeSMTPCommand(_ command: SMTPCommand) -> Int {
        writeString(SMTPCommandEncoder.line(command)) + writeStaticString("\r\n")
    }
}

/// RET (RFC 3461 §4.3): what a failure DSN returns of the message.
public enum DSNReturn: String, Sendable, Equatable {
    case full = "FULL"
    case headers = "HDRS"
}

/// NOTIFY (RFC 3461 §4.1): NEVER, or any of SUCCESS, FAILURE, DELAY.
public struct DSNNotify: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let success = DSNNotify(rawValue: 1 << 0)
    public static let failure = DSNNotify(rawValue: 1 << 1)
    public static let delay = DSNNotify(rawValue: 1 << 2)
    /// The empty set is NEVER.
    public static let never: DSNNotify = []
    // Its text form, `parameterValue`, and the parser are in DSNParameters.swift.
}

/// The parameters a client puts on MAIL FROM, each only when the server announced its extension.
public struct SMTPMailParameters: Sendable, Equatable {
    /// SIZE=n (RFC 1870 §6): the message size in octets.
    public var size: Int?
    /// BODY=8BITMIME (RFC 6152 §2) or BODY=7BIT.
    public var body: SMTPBodyType?
    /// SMTPUTF8 (RFC 6531 §3.4).
    public var smtputf8 = false
    /// RET=FULL|HDRS (RFC 3461 §4.3).
    public var ret: DSNReturn?
    /// ENVID=xtext (RFC 3461 §4.4), given unencoded.
    public var envelopeID: String?
    /// AUTH=<mailbox> or AUTH=<> (RFC 4954 §5), given unencoded: the address itself, or "<>".
    public var auth: String?

    public init(size: Int? = nil, body: SMTPBodyType? = nil, smtputf8: Bool = false, ret: DSNReturn? = nil,
                envelopeID: String? = nil, auth: String? = nil) {
        self.size = size
        self.body = body
        self.smtputf8 = smtputf8
        self.ret = ret
        self.envelopeID = envelopeID
        self.auth = auth
    }

    public var parameters: [SMTPParameter] {
        var list: [SMTPParameter] = []
        if let size { list.append(SMTPParameter(keyword: "SIZE", value: String(size))) }
        if let body { list.append(SMTPParameter(keyword: "BODY", value: body == .eightBitMIME ? "8BITMIME" : "7BIT")) }
        if smtputf8 { list.append(SMTPParameter(keyword: "SMTPUTF8", value: nil)) }
        if let ret { list.append(SMTPParameter(keyword: "RET", value: ret.rawValue)) }
        if let envelopeID { list.append(SMTPParameter(keyword: "ENVID", value: XText.encode(envelopeID))) }
        if let auth { list.append(SMTPParameter(keyword: "AUTH", value: auth == "<>" ? "<>" : XText.encode(auth))) }
        return list
    }
}

/// The parameters a client puts on RCPT TO (RFC 3461 §4.1, §4.2), only to a server offering DSN.
public struct SMTPRecipientParameters: Sendable, Equatable {
    public var notify: DSNNotify?
    /// ORCPT=addr-type ";" xtext; `originalRecipient` is given unencoded, addr-type "rfc822"
    /// (or "utf-8" for an address that needs it, RFC 6533 §3).
    public var originalRecipient: String?

    public init(notify: DSNNotify? = nil, originalRecipient: String? = nil) {
        self.notify = notify
        self.originalRecipient = originalRecipient
    }

    public var parameters: [SMTPParameter] {
        var list: [SMTPParameter] = []
        if let notify { list.append(SMTPParameter(keyword: "NOTIFY", value: notify.parameterValue)) }
        if let originalRecipient {
            let isASCII = originalRecipient.utf8.allSatisfy { $0 < 0x80 }
            // RFC 6533 §3: utf-8-addr-xtext keeps the address readable; rfc822 xtext encodes it.
            list.append(SMTPParameter(keyword: "ORCPT",
                                      value: (isASCII ? "rfc822;" : "utf-8;") + XText.encode(originalRecipient)))
        }
        return list
    }
}
