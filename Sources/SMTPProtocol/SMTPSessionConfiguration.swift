/// Limits and identity a session needs; all come from the configuration.
public struct SMTPSessionConfiguration: Sendable, Equatable {
    public var hostname: String
    public var maximumMessageSize: Int
    public var maximumRecipients: Int
    public var maximumErrors: Int
    /// STARTTLS can be offered (a certificate is loaded and the listener allows it).
    public var startTLSAvailable = false
    /// Mail transactions need TLS first (RFC 3207 §4: 530 5.7.0).
    public var tlsRequired = false
    /// The connection is encrypted (after STARTTLS, or implicit TLS).
    public var tlsActive = false

    public init(hostname: String, maximumMessageSize: Int, maximumRecipients: Int, maximumErrors: Int,
                startTLSAvailable: Bool = false, tlsRequired: Bool = false, tlsActive: Bool = false) {
        self.hostname = hostname
        self.maximumMessageSize = maximumMessageSize
        self.maximumRecipients = maximumRecipients
        self.maximumErrors = maximumErrors
        self.startTLSAvailable = startTLSAvailable
        self.tlsRequired = tlsRequired
        self.tlsActive = tlsActive
    }
}
