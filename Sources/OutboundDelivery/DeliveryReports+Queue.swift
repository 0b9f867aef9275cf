import DeliveryReports
import Foundation
import MailQueue

/// The queue's recipient rows as the report builder's outcomes.
extension RecipientOutcome {
    init(_ recipient: QueuedRecipient, action: ReportAction, willRetryUntil: Date? = nil) {
        let reply = recipient.lastReply.flatMap(RemoteReply.init(recordedText:))
        let generic = action == .delayed ? "4.0.0" : "5.0.0"
        self.init(
            address: recipient.address,
            originalRecipient: QueuedEnvelope.originalRecipient(recipient.originalRecipient),
            notify: QueuedEnvelope.notifyConditions(recipient.notify),
            action: action, status: recipient.lastEnhancedCode ?? generic,
            // Remote-MTA only when a remote server gave the reply (RFC 3464 §2.3.5).
            remoteMTA: reply == nil ? nil : recipient.remoteHost.map(Self.hostName(ofPeer:)),
            remoteReply: reply,
            lastAttemptDate: recipient.attempts > 0 ? Int(Date().timeIntervalSince1970) : nil,
            willRetryUntil: willRetryUntil.map { Int($0.timeIntervalSince1970) })
    }

    /// "mx.example.org[192.0.2.1]:25" → "mx.example.org"; "[192.0.2.1]:25" (an address
    /// literal route) → "[192.0.2.1]".
    static func hostName(ofPeer peer: String) -> String {
        let name = peer.prefix { $0 != "[" }
        if !name.isEmpty { return String(name) }
        guard let close = peer.firstIndex(of: "]") else { return peer }
        return String(peer[...close])
    }
}

extension RemoteReply {
    /// "550 5.1.1 no such user" as the queue recorded a peer's reply; nil for our own reasons,
    /// which do not start with a reply code.
    init?(recordedText text: String) {
        let digits = text.prefix(3)
        guard digits.count == 3, digits.allSatisfy(\.isNumber), let code = Int(digits),
              (200...599).contains(code) else { return nil }
        let rest = text.dropFirst(3).drop { $0 == " " || $0 == "-" }
        self.init(code: code, text: String(rest))
    }
}

/// For tests: a recorded reply's code and text, as the reports read it.
func recordedReply(_ text: String) -> (code: Int, lines: [String])? {
    RemoteReply(recordedText: text).map { ($0.code, $0.lines) }
}

/// For tests: the Remote-MTA name of a recorded peer.
func remoteMTAName(ofPeer peer: String) -> String { RecipientOutcome.hostName(ofPeer: peer) }
