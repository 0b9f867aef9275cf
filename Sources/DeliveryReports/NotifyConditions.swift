/// NOTIFY (RFC 3461 §4.1): `"NOTIFY=" ("NEVER" / 1#("SUCCESS" / "FAILURE" / "DELAY"))`.
/// NEVER is the empty set.
public struct NotifyConditions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let success = NotifyConditions(rawValue: 1)
    public static let failure = NotifyConditions(rawValue: 2)
    public static let delay = NotifyConditions(rawValue: 4)
    public static let never: NotifyConditions = []

    /// What applies when RCPT had no NOTIFY: RFC 3461 §4.1 leaves it to the MTA, and every
    /// common MTA (and RFC 1891's practice) reports failures and delays.
    public static let whenAbsent: NotifyConditions = [.failure, .delay]

    /// Parses the parameter's value, case-insensitively (RFC 5321 §2.4). NEVER must stand
    /// alone (RFC 3461 §4.1); an unknown or repeated keyword makes the value invalid.
    public init?(parameterValue: String) {
        let keywords = parameterValue.uppercased().split(separator: ",", omittingEmptySubsequences: false)
        if keywords == ["NEVER"] {
            self = .never
            return
        }
        var conditions: NotifyConditions = []
        for keyword in keywords {
            let condition: NotifyConditions
            switch keyword {
            case "SUCCESS": condition = .success
            case "FAILURE": condition = .failure
            case "DELAY": condition = .delay
            default: return nil
            }
            guard !conditions.contains(condition) else { return nil }
            conditions.insert(condition)
        }
        self = conditions
    }

    /// The condition under which RFC 3461 §4.1 and §6.2 report an action: "relayed" and
    /// "expanded" are successes too, as far as this MTA is concerned (RFC 3461 §6.2.1).
    static func condition(for action: ReportAction) -> NotifyConditions {
        switch action {
        case .failed: return .failure
        case .delayed: return .delay
        case .delivered, .relayed, .expanded: return .success
        }
    }
}

/// When a delivery status notification may be sent at all.
public enum DeliveryReportPolicy {
    /// RFC 5321 §4.5.5 and RFC 3461 §6.2: never report on a message whose reverse path is
    /// `<>` (a report on a report could loop forever); otherwise NOTIFY decides (§4.1), with
    /// failure and delay when the sender gave none.
    public static func shouldReport(_ action: ReportAction, notify: NotifyConditions?,
                                    envelope: OriginalEnvelope) -> Bool {
        guard !envelope.hasNullReversePath else { return false }
        return (notify ?? .whenAbsent).contains(NotifyConditions.condition(for: action))
    }
}
