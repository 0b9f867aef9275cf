/// The trace fields an SMTP server prepends to every message it delivers (RFC 5321 §4.4).
public struct TraceHeaders: Sendable {
    public var reversePath: SMTPReversePath
    public var clientName: String
    public var clientAddress: String
    public var serverName: String
    public var protocolName: String
    public var id: String
    /// Only with a single recipient: naming one recipient in a copy shared by several would
    /// disclose the others' addresses (RFC 5321 §7.2).
    public var singleRecipient: SMTPMailbox?
    /// RFC 5322 §3.3 date-time, e.g. "Sun, 29 Nov 2026 19:30:00 +0000".
    public var date: String
    /// "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256" when the message came over TLS.
    public var tls: String?
    /// The message came with SMTPUTF8, so its header may hold UTF-8 (RFC 6531 §3.7.3).
    public var utf8: Bool
    /// Submission fix-ups (RFC 6409 §8.3, §8.1): a Message-ID ("<id@host>") and a Date for a
    /// message that came without them, written after the trace fields.
    public var addedMessageID: String?
    public var addedDate: String?

    public init(reversePath: SMTPReversePath, clientName: String, clientAddress: String, serverName: String,
                protocolName: String, id: String, singleRecipient: SMTPMailbox?, date: String, tls: String? = nil,
                utf8: Bool = false) {
        self.reversePath = reversePath
        self.clientName = clientName
        self.clientAddress = clientAddress
        self.serverName = serverName
        self.protocolName = protocolName
        self.id = id
        self.singleRecipient = singleRecipient
        self.date = date
        self.tls = tls
        self.utf8 = utf8
    }

    /// "Return-Path:" then "Received:", with LF line ends (the Maildir's local form).
    public var rendered: String {
        var text = "Return-Path: \(reversePath)\n"
        text += "Received: from \(TraceHeaders.sanitized(clientName, utf8: utf8))"
            + " (\(TraceHeaders.addressLiteral(clientAddress)))\n"
        if let tls { text += "\t(using \(tls))\n" }
        text += "\tby \(serverName) (Tsubame) with \(protocolName) id \(id)"
        if let recipient = singleRecipient {
            text += "\n\tfor <\(recipient)>; \(date)\n"
        } else {
            text += ";\n\t\(date)\n"
        }
        if let addedMessageID { text += "Message-ID: \(addedMessageID)\n" }
        if let addedDate { text += "Date: \(addedDate)\n" }
        return text
    }

    /// The client's EHLO name is arbitrary text: keep it printable, one header line and within
    /// a domain name's 255 octets. Without SMTPUTF8 the header must be ASCII (RFC 5322 §2.2,
    /// RFC 6531 §3.7.3 allows UTF-8 only with it): a label with non-ASCII characters is
    /// written as its Punycode A-label ("bücher" -> "xn--bcher-kva", RFC 5890 §2.3.2.1), the
    /// ASCII form of an internationalised name, so the name stays recognisable and the header
    /// stays 7-bit. The log keeps the name as sent.
    static func sanitized(_ name: String, utf8: Bool) -> String {
        // Nearly every name is printable ASCII already: the scalar-by-scalar rewrite below
        // would give it back unchanged, at 1 % of an SMTP flood's CPU.
        if name.utf8.count <= 255, name.utf8.allSatisfy(isPrintableASCII) { return name }
        let labels = name.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false).map { label in
            let printable = label.map { isPrintable($0) ? $0 : "_" }
            guard !utf8, !printable.allSatisfy(\.isASCII) else { return String(String.UnicodeScalarView(printable)) }
            return "xn--" + Punycode.encode(printable)
        }
        var result = ""
        for scalar in labels.joined(separator: ".").unicodeScalars {
            guard result.utf8.count + String(scalar).utf8.count <= 255 else { break }
            result.unicodeScalars.append(scalar)
        }
        return result
    }

    private static func isPrintableASCII(_ byte: UInt8) -> Bool {
        byte > 32 && byte < 127 && byte != UInt8(ascii: "(") && byte != UInt8(ascii: ")")
    }

    /// Not a control, space, separator or bidi format character, and not a comment's parenthesis.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value > 32 && scalar.value != 127 && scalar != "(" && scalar != ")" }
        switch scalar.properties.generalCategory {
        case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator: return false
        default: return true
        }
    }

    /// The client's IP as an address literal (RFC 5321 §4.1.3): "[192.0.2.1]", "[IPv6:2001:db8::1]".
    /// An IPv4 client on a dual-stack socket appears as "::ffff:192.0.2.1" and is written as IPv4.
    static func addressLiteral(_ ip: String) -> String {
        let mapped = "::ffff:".utf8
        let lowercased = ip.utf8.lazy.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
        if lowercased.starts(with: mapped), !ip.utf8.dropFirst(mapped.count).contains(UInt8(ascii: ":")) {
            return "[\(ip.dropFirst(mapped.count))]"
        }
        return ip.utf8.contains(UInt8(ascii: ":")) ? "[IPv6:\(ip)]" : "[\(ip)]"
    }
}

/// RFC 5322 §3.3 dates without Foundation's locale machinery.
public enum RFC5322Date {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Formats seconds since 1970 in UTC as "Sun, 29 Nov 2026 19:30:00 +0000".
    public static func format(secondsSince1970 seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondsOfDay = seconds - days * 86400
        let (year, month, day) = civilDate(daysSince1970: days)
        let weekday = weekdays[((days % 7) + 11) % 7]  // 1970-01-01 was a Thursday
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekday), \(day) \(months[month - 1]) \(year) "
            + "\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60)) +0000"
    }

    /// Days since the epoch to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
