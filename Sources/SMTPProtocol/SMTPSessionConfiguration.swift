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
    /// What this listener does with SMTP AUTH (RFC 4954).
    public var authentication = Authentication.notOffered
    /// AUTH may be used before TLS on this connection (`[submission] allow_plaintext`, e.g.
    /// loopback only). Never on a listener that requires TLS.
    public var authenticationBeforeTLSAllowed = false
    /// Messages of unauthenticated sessions are checked (SPF, DKIM, DMARC) before they are
    /// stored: the MX with `[checks] enabled`. Submission (an authenticated session) is exempt.
    public var checksMessages = false

    /// The listener's role: `smtp` (the MX) offers AUTH only when `[smtp] auth` is on and never
    /// requires it; `submission` and `submissions` require it before MAIL (RFC 6409 §4.3).
    public enum Authentication: Sendable, Equatable {
        case notOffered
        case offered
        case required
    }

    public init(hostname: String, maximumMessageSize: Int, maximumRecipients: Int, maximumErrors: Int,
                startTLSAvailable: Bool = false, tlsRequired: Bool = false, tlsActive: Bool = false,
                authentication: Authentication = .notOffered, authenticationBeforeTLSAllowed: Bool = false) {
        self.hostname = hostname
        self.maximumMessageSize = maximumMessageSize
        self.maximumRecipients = maximumRecipients
        self.maximumErrors = maximumErrors
        self.startTLSAvailable = startTLSAvailable
        self.tlsRequired = tlsRequired
        self.tlsActive = tlsActive
        self.authentication = authentication
        self.authenticationBeforeTLSAllowed = authenticationBeforeTLSAllowed
    }

    /// AUTH can be used now: advertised in EHLO and accepted. RFC 4954 §4 and RFC 8314 §3:
    /// passwords travel only inside TLS, unless the administrator allows plaintext (loopback).
    public var authenticationAvailable: Bool {
        authentication != .notOffered && (tlsActive || (authenticationBeforeTLSAllowed && !tlsRequired))
    }
}
