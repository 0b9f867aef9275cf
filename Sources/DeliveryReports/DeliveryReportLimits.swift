/// The bounds of everything the builder copies into a report.
public struct DeliveryReportLimits: Sendable, Equatable {
    /// The most of the original message returned whole; a larger one is returned as its header
    /// only. 256 KiB, as chasquid (`internal/queue/dsn.go`): enough for any text message,
    /// small enough that bounces of large attachments stay cheap.
    public let maximumReturnedMessageBytes: Int
    /// The most of a remote reply kept in a Diagnostic-Code. 900 octets keeps even an
    /// unbreakable word, with the field name, under the 998-octet line limit (RFC 5322 §2.1.1).
    public let maximumDiagnosticBytes: Int

    public init(maximumReturnedMessageBytes: Int = 256 * 1024, maximumDiagnosticBytes: Int = 900) {
        self.maximumReturnedMessageBytes = max(0, maximumReturnedMessageBytes)
        self.maximumDiagnosticBytes = min(max(0, maximumDiagnosticBytes), 900)
    }
}
