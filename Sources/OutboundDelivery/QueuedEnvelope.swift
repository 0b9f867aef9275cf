import DeliveryReports
import MailQueue
import SMTPProtocol

/// Turns what the queue stored (addresses as text, DSN parameters as received in xtext) into
/// the SMTP client's types and the report builder's, in one place.
enum QueuedEnvelope {
    /// "local@domain" as the queue keeps it (the server writes `SMTPMailbox.description`,
    /// quoting a local part that is not a dot-string); nil for text without an "@".
    static func mailbox(_ address: String) -> SMTPMailbox? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        var local = String(address[..<at])
        let domain = String(address[address.index(after: at)...])
        // RFC 5321 §4.1.2 Quoted-string: drop the quotes, undo the backslash pairs.
        if local.count >= 2, local.hasPrefix("\""), local.hasSuffix("\"") {
            var unquoted = ""
            var escaped = false
            for character in local.dropFirst().dropLast() {
                if !escaped, character == "\\" {
                    escaped = true
                    continue
                }
                escaped = false
                unquoted.append(character)
            }
            local = unquoted
        }
        guard !local.isEmpty, !domain.isEmpty else { return nil }
        return SMTPMailbox(localPart: local, domain: domain)
    }

    static func reversePath(_ text: String) -> SMTPReversePath {
        guard !text.isEmpty, let mailbox = mailbox(text) else { return .null }
        return .mailbox(mailbox)
    }

    /// RFC 3461 §4.4: ENVID is kept as received (xtext) and decoded to be sent on.
    static func decodedText(_ xtext: String?) -> String? {
        guard let xtext, let bytes = XText.decode(xtext) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// "rfc822;bob+40example.net" → ("rfc822", "bob@example.net").
    static func originalRecipient(_ stored: String?) -> OriginalRecipient? {
        guard let stored, let semicolon = stored.firstIndex(of: ";") else { return nil }
        let type = String(stored[..<semicolon])
        guard let address = decodedText(String(stored[stored.index(after: semicolon)...])) else { return nil }
        return OriginalRecipient(addressType: type, address: address)
    }

    static func notify(_ stored: String?) -> DSNNotify? {
        guard let stored, let conditions = NotifyConditions(parameterValue: stored) else { return nil }
        return DSNNotify(rawValue: conditions.rawValue)
    }

    static func notifyConditions(_ stored: String?) -> NotifyConditions? {
        stored.flatMap(NotifyConditions.init(parameterValue:))
    }

    /// What one transaction sends for a batch. The recipients keep the batch's order, which is
    /// the order of the results. Those whose stored address does not parse are left out and
    /// returned apart (they fail: nobody can deliver to them).
    static func outboundMessage(for batch: ClaimedBatch, wireSize: Int)
        -> (message: SMTPOutboundMessage, sent: [QueuedRecipient], unusable: [QueuedRecipient]) {
        var recipients: [SMTPOutboundRecipient] = []
        var sent: [QueuedRecipient] = []
        var unusable: [QueuedRecipient] = []
        for recipient in batch.recipients {
            guard let mailbox = mailbox(recipient.address) else {
                unusable.append(recipient)
                continue
            }
            // RFC 3461 §4.2: pass ORCPT on as it came; a recipient without one gets its own
            // address, so the final report still names what the sender wrote.
            let original = originalRecipient(recipient.originalRecipient)?.address ?? recipient.address
            recipients.append(SMTPOutboundRecipient(mailbox, dsn: SMTPRecipientParameters(
                notify: notify(recipient.notify), originalRecipient: original)))
            sent.append(recipient)
        }
        let message = batch.message
        let outbound = SMTPOutboundMessage(
            reversePath: reversePath(message.reversePath), recipients: recipients, size: wireSize,
            bodyType: message.needs8BitMIME ? .eightBitMIME : .sevenBit, needsSMTPUTF8: message.needsSMTPUTF8,
            dsnReturn: message.returnContent.map { $0 == .headers ? .headers : .full },
            envelopeID: decodedText(message.envelopeID))
        return (outbound, sent, unusable)
    }

    /// Octets on the wire (CRLF line ends) for SIZE (RFC 1870 §6): the "W=" the server put in
    /// the file name (Dovecot's virtual size), else the stored size; plus the prefix.
    static func wireSize(fileName: String, storedSize: Int, prefixBytes: Int) -> Int {
        for field in fileName.split(separator: ",") where field.hasPrefix("W=") {
            if let size = Int(field.dropFirst(2).prefix { $0.isNumber }) { return size + prefixBytes }
        }
        return storedSize + prefixBytes
    }

    static func envelope(of message: QueuedMessage) -> OriginalEnvelope {
        OriginalEnvelope(
            reversePath: message.reversePath, envelopeID: decodedText(message.envelopeID),
            returnContent: message.returnContent.map { $0 == .headers ? .headers : .full },
            smtputf8: message.needsSMTPUTF8, arrivalDate: Int(message.arrival.timeIntervalSince1970))
    }
}
