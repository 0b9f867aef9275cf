import SMTPProtocol

/// The body of the message/delivery-status part (RFC 3464 §2.1): one block of per-message
/// fields, then one block per recipient, blocks separated by an empty line.
struct DeliveryStatusFields {
    var reportingHost: String
    var envelope: OriginalEnvelope
    var recipients: [RecipientOutcome]
    /// message/global-delivery-status (RFC 6533 §6.1): fields may hold UTF-8.
    var global: Bool
    var limits: DeliveryReportLimits

    var rendered: String {
        var text = ReportFieldText.folded(name: "Reporting-MTA", value: "dns; " + host(reportingHost))
        if let envelopeID = envelope.envelopeID {
            // RFC 3461 §4.4: ENVID is at most 100 characters of printable ASCII.
            let value = ReportFieldText.sanitized(envelopeID, allowUTF8: false, maximumBytes: 100)
            if !value.isEmpty { text += ReportFieldText.folded(name: "Original-Envelope-Id", value: value) }
        }
        text += ReportFieldText.folded(name: "Arrival-Date",
                                       value: RFC5322Date.format(secondsSince1970: envelope.arrivalDate))
        for recipient in recipients {
            text += "\n" + block(for: recipient)
        }
        return text
    }

    /// RFC 3464 §2.3, in the order of its grammar.
    func block(for recipient: RecipientOutcome) -> String {
        var text = ""
        if let original = recipient.originalRecipient {
            text += ReportFieldText.folded(name: "Original-Recipient", value: ReportAddressField.value(
                addressType: original.addressType, address: original.address, global: global))
        }
        text += ReportFieldText.folded(name: "Final-Recipient",
                                       value: ReportAddressField.value(address: recipient.address, global: global))
        text += "Action: \(recipient.action.rawValue)\n"
        let status = EnhancedStatusCode(recipient.status) ?? EnhancedStatusCode.generic(for: recipient.action)
        text += "Status: \(status)\n"
        if let remote = recipient.remoteMTA {
            let value = host(remote)
            if !value.isEmpty { text += ReportFieldText.folded(name: "Remote-MTA", value: "dns; " + value) }
        }
        if let reply = recipient.remoteReply, let diagnostic = diagnosticText(reply) {
            text += ReportFieldText.folded(name: "Diagnostic-Code", value: "smtp; " + diagnostic)
        }
        if let lastAttempt = recipient.lastAttemptDate {
            text += "Last-Attempt-Date: \(RFC5322Date.format(secondsSince1970: lastAttempt))\n"
        }
        // RFC 3464 §2.3.9: only meaningful while delivery is still being attempted.
        if recipient.action == .delayed, let until = recipient.willRetryUntil {
            text += "Will-Retry-Until: \(RFC5322Date.format(secondsSince1970: until))\n"
        }
        return text
    }

    /// "CODE TEXT" (RFC 3464 §2.3.6, diagnostic-type "smtp"): the lines of a multi-line
    /// reply joined by spaces, sanitised and bounded; nil for a code outside 200–599.
    func diagnosticText(_ reply: RemoteReply) -> String? {
        guard (200...599).contains(reply.code) else { return nil }
        let joined = reply.lines.joined(separator: " ")
        let text = ReportFieldText.sanitized(joined, allowUTF8: global, maximumBytes: limits.maximumDiagnosticBytes)
        return text.isEmpty ? "\(reply.code)" : "\(reply.code) \(text)"
    }

    /// A host name (at most 255 octets, RFC 1035 §2.3.4), printable ASCII.
    private func host(_ name: String) -> String {
        ReportFieldText.sanitized(name, allowUTF8: false, maximumBytes: 255)
    }
}
