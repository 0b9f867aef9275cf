import DeliveryReports

/// Where reports (DSNs) go once built: the server delivers one to a local sender's Maildir at
/// once, and queues one for a remote sender (from `<>`, so it is never answered by another).
public protocol ReportDelivery: Sendable {
    /// Delivers or durably queues `report` for `recipient`. With `localOnly`, a recipient that
    /// is not local is refused (returns false) instead of queued: reports about failed reports
    /// go to the postmaster and stop there (RFC 5321 §4.5.5, RFC 3461 §6.2).
    /// Throws when nothing was stored (the caller tries again at its next round).
    func deliver(_ report: DeliveryReport, to recipient: String, localOnly: Bool) async throws -> Bool
    /// Who gets the reports that cannot go to the sender: postmaster of the primary domain.
    var postmasterAddress: String { get }
}
