import Foundation
import MailQueue

/// `queue list --json` and `queue show --json`: stable keys, times in RFC 3339 UTC.
enum QueueJSON {
    static func entry(_ entry: QueueEntry) -> [String: Any] {
        let message = entry.message
        return [
            "id": message.id, "file": message.fileName, "sender": message.reversePath,
            "size": message.size, "arrival": time(message.arrival), "expiry": time(message.expiry),
            "held": message.held, "bounce_requested": message.bounceRequested, "account": nullable(message.submittingAccount),
            "envid": nullable(message.envelopeID), "ret": nullable(message.returnContent?.rawValue),
            "needs_8bitmime": message.needs8BitMIME, "needs_smtputf8": message.needsSMTPUTF8,
            "recipients": entry.recipients.map { recipient in
                [
                    "address": recipient.address, "domain": recipient.destinationDomain,
                    "status": recipient.status.rawValue, "attempts": recipient.attempts,
                    "next_attempt": time(recipient.nextAttempt), "last_reply": nullable(recipient.lastReply),
                    "enhanced_code": nullable(recipient.lastEnhancedCode), "remote_host": nullable(recipient.remoteHost),
                    "orcpt": nullable(recipient.originalRecipient), "notify": nullable(recipient.notify),
                    "delay_notice_sent": recipient.delayNoticeSent, "failure_reported": recipient.failureReported,
                ] as [String: Any]
            },
        ]
    }

    /// JSONSerialization takes no Optional: a missing value is JSON null.
    static func nullable(_ value: String?) -> Any { value ?? NSNull() }

    static func print(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        Swift.print(String(decoding: data, as: UTF8.self))
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

/// The human-readable forms.
enum QueueText {
    static func summary(_ entry: QueueEntry) -> String {
        let message = entry.message
        let sender = message.reversePath.isEmpty ? "<>" : "<\(message.reversePath)>"
        let held = (message.held ? " held" : "") + (message.bounceRequested ? " bounce-requested" : "")
        let recipients = entry.recipients.map { "<\($0.address)> \($0.status.rawValue)" }.joined(separator: ", ")
        return "\(message.id) \(QueueJSON.time(message.arrival)) size=\(message.size)\(held) from=\(sender) to: \(recipients)"
    }

    static func details(_ entry: QueueEntry) -> String {
        let message = entry.message
        var lines = [
            "id: \(message.id)", "file: \(message.fileName)",
            "from: <\(message.reversePath)>", "size: \(message.size)",
            "arrival: \(QueueJSON.time(message.arrival))", "expiry: \(QueueJSON.time(message.expiry))",
            "held: \(message.held ? "yes" : "no")",
            "bounce requested: \(message.bounceRequested ? "yes" : "no")",
        ]
        if let account = message.submittingAccount { lines.append("account: \(account)") }
        for recipient in entry.recipients {
            var line = "to: <\(recipient.address)> \(recipient.status.rawValue) attempts=\(recipient.attempts)"
                + " next=\(QueueJSON.time(recipient.nextAttempt))"
            if let reply = recipient.lastReply { line += " reply=\(reply.debugDescription)" }
            if let host = recipient.remoteHost { line += " relay=\(host)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
