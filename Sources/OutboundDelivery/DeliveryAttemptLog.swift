import Foundation
import Logging
import MailQueue

/// One line per recipient per attempt, in the spirit of Postfix's maillog:
/// `sent id=… to=<…> relay=host[ip]:25 delay=1.2 tls=TLSv1.3 dsn=2.0.0 status=sent reply="250 …"`.
/// The log handler escapes every value, so a peer's reply cannot forge a field.
struct DeliveryAttemptLog {
    let logger: Logger

    func record(messageID: String, recipient: String, outcome: AttemptOutcome, relay: String?, tls: String?,
                arrival: Date, now: Date) {
        let (status, reply): (String, RecordedReply) = switch outcome {
        case .delivered(let reply): ("sent", reply)
        case .deferred(let reply): ("deferred", reply)
        case .failed(let reply): ("bounced", reply)
        }
        var metadata: Logger.Metadata = [
            "id": "\(messageID)",
            "to": "<\(recipient)>",
            "relay": "\(relay ?? "none")",
            // Seconds since the message arrived, as Postfix's delay=.
            "delay": "\(String(format: "%.1f", max(0, now.timeIntervalSince(arrival))))",
            "dsn": "\(reply.enhancedCode ?? Self.genericCode(for: outcome))",
            "status": "\(status)",
            "reply": "\(reply.text)",
        ]
        if let tls { metadata["tls"] = "\(tls)" }
        switch outcome {
        case .delivered: logger.info("\(status)", metadata: metadata)
        case .deferred: logger.notice("\(status)", metadata: metadata)
        case .failed: logger.warning("\(status)", metadata: metadata)
        }
    }

    static func genericCode(for outcome: AttemptOutcome) -> String {
        switch outcome {
        case .delivered: return "2.0.0"
        case .deferred: return "4.0.0"
        case .failed: return "5.0.0"
        }
    }
}
