import SMTPProtocol

/// A finished report, ready for the queue: the bytes and the envelope to send them with.
public struct DeliveryReport: Sendable, Equatable {
    /// A report is sent with the null reverse path `<>` (RFC 5321 §4.5.5, RFC 3464 §4), so
    /// that it can never cause another report: always "".
    public let envelopeSender: String = ""
    /// The original message's reverse path.
    public var envelopeRecipient: String
    /// The whole message with LF line ends, as the Maildir and the queue store messages; the
    /// SMTP client converts to CRLF on the wire like any other stored message.
    public var bytes: [UInt8]
    public var messageID: String
    public var subject: String
    public var returnedContent: ReturnedContent
    /// The header or a part holds UTF-8 (RFC 6533 media types, a non-ASCII address): send
    /// with SMTPUTF8 (RFC 6531 §3.4), and so only to a server that offers it.
    public var requiresSMTPUTF8: Bool
    /// The returned message holds 8-bit octets: send with BODY=8BITMIME (RFC 6152).
    public var requires8BitMIME: Bool
    /// The recipients it reports on, after the NOTIFY rules.
    public var reportedRecipients: [RecipientOutcome]
}

/// Builds delivery status notifications (RFC 3464; RFC 6533 for messages that needed
/// SMTPUTF8). Pure: the time and the unique tokens come from the caller.
public struct DeliveryReportBuilder: Sendable {
    public var reportingHost: String
    public var limits: DeliveryReportLimits
    /// The current time, in seconds since 1970 (UTC): the report's Date.
    public var now: @Sendable () -> Int
    /// A fresh unique token (letters and digits) for the Message-ID and the MIME boundary.
    public var uniqueToken: @Sendable () -> String

    public init(reportingHost: String, limits: DeliveryReportLimits = DeliveryReportLimits(),
                now: @escaping @Sendable () -> Int, uniqueToken: @escaping @Sendable () -> String) {
        self.reportingHost = reportingHost
        self.limits = limits
        self.now = now
        self.uniqueToken = uniqueToken
    }

    /// The report for these outcomes, or nil when none may be reported: the reverse path is
    /// `<>`, or NOTIFY excludes every outcome (`DeliveryReportPolicy.shouldReport`).
    /// `originalMessage` is the message as stored (LF line ends).
    public func report(envelope: OriginalEnvelope, outcomes: [RecipientOutcome],
                       originalMessage: [UInt8]) -> DeliveryReport? {
        let reported = outcomes.filter {
            DeliveryReportPolicy.shouldReport($0.action, notify: $0.notify, envelope: envelope)
        }
        guard !reported.isEmpty else { return nil }
        let isFailure = reported.contains { $0.action == .failed }
        let global = envelope.smtputf8
        let host = ReportFieldText.sanitized(reportingHost, allowUTF8: false, maximumBytes: 255)

        let returned = ReturnedContentPart.select(original: originalMessage, envelope: envelope, isFailure: isFailure,
                                                  maximumBytes: limits.maximumReturnedMessageBytes)
        let explanation = HumanReadableExplanation(reportingHost: host, recipients: reported, returned: returned,
                                                   limits: limits).text
        let explanationIsASCII = explanation.utf8.allSatisfy { $0 < 0x80 }
        let explanationBody = explanationIsASCII ? explanation : QuotedPrintable.encode(explanation)
        let status = DeliveryStatusFields(reportingHost: host, envelope: envelope, recipients: reported,
                                          global: global, limits: limits).rendered

        let boundary = MIMEBoundary.fresh(token: uniqueToken(), parts: [
            Array(explanationBody.utf8)[...], Array(status.utf8)[...], returned.bytes,
        ])
        let messageIDToken = ReportFieldText.sanitized(uniqueToken(), allowUTF8: false, maximumBytes: 64)
            .filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
        let messageID = "<\(messageIDToken.isEmpty ? "dsn" : messageIDToken)@\(host)>"
        let subject = Self.subject(for: reported)
        let recipient = ReportFieldText.sanitized(envelope.reversePath, allowUTF8: true,
                                                  maximumBytes: ReportAddressField.maximumAddressBytes)

        var text = "From: Mail Delivery System <MAILER-DAEMON@\(host)>\n"
        text += ReportFieldText.folded(name: "To", value: "<\(recipient)>")
        text += "Subject: \(subject)\n"
        text += "Date: \(RFC5322Date.format(secondsSince1970: now()))\n"
        text += "Message-ID: \(messageID)\n"
        text += "MIME-Version: 1.0\n"
        // RFC 3834 §5: marks the report as automatic, so responders do not answer it.
        text += "Auto-Submitted: auto-replied\n"
        // RFC 6522 §3 (multipart/report) with RFC 3464 §2's report type, kept for the global
        // variant too: RFC 6533 §6 changes the part's media type, not the report type.
        text += "Content-Type: multipart/report; report-type=delivery-status;\n boundary=\"\(boundary)\"\n"
        text += "\nThis is a MIME-encapsulated delivery status notification (RFC 3464).\n"

        text += "\n--\(boundary)\n"
        text += "Content-Description: Notification\n"
        text += "Content-Type: text/plain; charset=utf-8\n"
        text += "Content-Transfer-Encoding: \(explanationIsASCII ? "7bit" : "quoted-printable")\n\n"
        text += explanationBody

        text += "\n--\(boundary)\n"
        text += "Content-Description: Delivery report\n"
        text += "Content-Type: message/\(global ? "global-" : "")delivery-status\n"
        if global { text += "Content-Transfer-Encoding: 8bit\n" }
        text += "\n" + status

        let returnedIsEightBit = returned.isEightBit
        text += "\n--\(boundary)\n"
        text += "Content-Description: \(returned.content == .fullMessage ? "Undelivered message" : "Message header")\n"
        text += "Content-Type: \(returned.mediaType(global: global))\n"
        text += "Content-Transfer-Encoding: \(returnedIsEightBit ? "8bit" : "7bit")\n\n"

        var bytes = Array(text.utf8)
        bytes += returned.bytes
        // The line end before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
        bytes += Array("\n--\(boundary)--\n".utf8)

        let headerOrFieldsHaveUTF8 = text.utf8.contains { $0 >= 0x80 }
        return DeliveryReport(
            envelopeRecipient: envelope.reversePath, bytes: bytes, messageID: messageID, subject: subject,
            returnedContent: returned.content,
            requiresSMTPUTF8: global || headerOrFieldsHaveUTF8,
            requires8BitMIME: returnedIsEightBit || headerOrFieldsHaveUTF8 || global,
            reportedRecipients: reported)
    }

    /// The subjects of Postfix's reports, which users and filters already recognise.
    static func subject(for outcomes: [RecipientOutcome]) -> String {
        if outcomes.contains(where: { $0.action == .failed }) { return "Undelivered Mail Returned to Sender" }
        if outcomes.contains(where: { $0.action == .delayed }) { return "Delivery Status Notification (Delay)" }
        return "Successful Mail Delivery Report"
    }
}
