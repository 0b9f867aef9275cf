import SMTPProtocol

/// The first part of the report (RFC 3464 §2: "a human-readable explanation"): which
/// recipients failed or are delayed, why, and what the sender can do.
struct HumanReadableExplanation {
    var reportingHost: String
    var recipients: [RecipientOutcome]
    var returned: ReturnedContentPart
    var limits: DeliveryReportLimits

    var text: String {
        let host = ReportFieldText.sanitized(reportingHost, allowUTF8: false, maximumBytes: 255)
        var text = "This is the mail system at \(host).\n"
        let failed = recipients.filter { $0.action == .failed }
        let delayed = recipients.filter { $0.action == .delayed }
        let succeeded = recipients.filter { ![.failed, .delayed].contains($0.action) }
        if !failed.isEmpty {
            text += "\nYour message could not be delivered to the following recipients.\n"
            text += "This is a permanent error; the message will not be sent again.\n\n"
            text += failed.map(line).joined()
            text += "\nCheck each address for mistakes. If the reason above names a policy\n"
                + "(spam, size, authentication), the recipient's postmaster can help.\n"
        }
        if !delayed.isEmpty {
            text += "\nYour message has not yet been delivered to the following recipients.\n"
            text += "The mail system will keep trying; you do not need to send it again.\n\n"
            text += delayed.map(line).joined()
            if let until = delayed.compactMap(\.willRetryUntil).max() {
                text += "\nIf it still cannot be delivered by \(RFC5322Date.format(secondsSince1970: until)),\n"
                    + "it will be returned to you.\n"
            }
        }
        if !succeeded.isEmpty {
            text += "\nYour message was delivered (or passed on) to the following recipients,\n"
                + "as you asked to be told.\n\n"
            text += succeeded.map(line).joined()
        }
        text += "\n" + contentNote + "\n"
        return text
    }

    private func line(_ recipient: RecipientOutcome) -> String {
        let address = ReportFieldText.sanitized(recipient.address, allowUTF8: true,
                                                maximumBytes: ReportAddressField.maximumAddressBytes)
        var line = "  <\(address)>"
        if let reply = recipient.remoteReply, (200...599).contains(reply.code) {
            let remote = recipient.remoteMTA.map {
                " " + ReportFieldText.sanitized($0, allowUTF8: false, maximumBytes: 255)
            } ?? ""
            let said = ReportFieldText.sanitized(reply.lines.joined(separator: " "), allowUTF8: true,
                                                 maximumBytes: limits.maximumDiagnosticBytes)
            line += ":\n" + Self.wrapped("the server\(remote) said: \(reply.code) \(said)", indent: "    ")
        } else {
            line += ": status \(EnhancedStatusCode(recipient.status) ?? .generic(for: recipient.action))"
        }
        return line + "\n"
    }

    /// Word-wrapped at 76 columns for a readable message; a longer word keeps its own line
    /// (bounded by the diagnostic limit, so under RFC 5322 §2.1.1's 998 octets).
    static func wrapped(_ text: String, indent: String, width: Int = 76) -> String {
        var output = indent
        var lineLength = indent.count
        for word in text.split(separator: " ") {
            if lineLength > indent.count && lineLength + 1 + word.count > width {
                output += "\n" + indent
                lineLength = indent.count
            } else if lineLength > indent.count {
                output += " "
                lineLength += 1
            }
            output += word
            lineLength += word.count
        }
        return output
    }

    private var contentNote: String {
        let cut = returned.headerTruncated ? " (cut short: it is longer than the size limit)" : ""
        switch returned.content {
        case .fullMessage:
            return "The original message is attached."
        case .headersOnly(.senderAskedForHeaders):
            return "Only the header of the original message is attached\(cut), as the sender asked (RET=HDRS)."
        case .headersOnly(.notAFailure):
            return "The header of the original message is attached\(cut)."
        case .headersOnly(.messageTooLarge):
            return "The original message is larger than \(limits.maximumReturnedMessageBytes / 1024) KiB,\n"
                + "so only its header is attached\(cut)."
        }
    }
}
