import NIOCore
import ProtocolSupport

/// The client side of an SMTP connection as a pure state machine: bytes from the server and a
/// few events in, `SMTPClientAction`s out. It knows nothing of sockets or clocks; the glue
/// writes what it is told, applies `timeout`, and reports the TLS handshake.
///
/// Order (RFC 5321 §3, §4.1): greeting (220) → EHLO (HELO when EHLO gets a 5xx) → STARTTLS when
/// offered and the policy wants it (RFC 3207), EHLO again → AUTH for a smarthost (RFC 4954) →
/// transactions, RSET between them → QUIT.
public struct SMTPClientSession: Sendable {
    /// Where the connection is, with the data that exists only there.
    public enum Phase: Sendable, Equatable {
        case awaitingGreeting
        case awaitingEHLOReply
        case awaitingHELOReply
        case awaitingStartTLSReply
        /// The glue is doing the handshake; no byte may arrive until it is done.
        case awaitingTLSHandshake
        case authenticating(AuthenticationStep)
        case ready
        /// Commands of a transaction are out; `Transaction` knows which replies are due.
        case inTransaction(Transaction)
        /// The 354 came: the glue is writing the content.
        case sendingContent(Transaction)
        /// The content was written: waiting for the reply to the final dot.
        case awaitingFinalReply(Transaction)
        /// The 354 came though no recipient was accepted; only "." was written.
        case awaitingAbandonedContentReply(Transaction)
        case awaitingQuitReply
        case closed
    }

    public enum AuthenticationStep: Sendable, Equatable {
        /// AUTH PLAIN with its initial response (RFC 4616 §2) is out.
        case plain
        /// AUTH LOGIN with the user name as initial response is out; a 334 asks for the password.
        case loginUsername
        /// The password is out.
        case loginPassword
    }

    /// Timeouts of RFC 5321 §4.5.3.2. The commands it does not name (EHLO, STARTTLS, AUTH, RSET,
    /// QUIT) get five minutes, as MAIL does.
    public enum Timeouts {
        public static let greeting = Duration.seconds(5 * 60)
        public static let command = Duration.seconds(5 * 60)
        public static let dataInitiation = Duration.seconds(2 * 60)
        /// For each write of content; the glue applies it while streaming.
        public static let dataBlock = Duration.seconds(3 * 60)
        public static let dataTermination = Duration.seconds(10 * 60)
    }

    public let configuration: SMTPClientConfiguration
    public internal(set) var phase: Phase = .awaitingGreeting
    /// What the last EHLO reply announced; empty after HELO and until EHLO after TLS.
    public internal(set) var capabilities = SMTPServerCapabilities()
    public internal(set) var tlsActive: Bool
    var reader = SMTPReplyReader()
    /// Transactions started on this connection; from the second on, RSET goes first.
    var transactionsStarted = 0

    public init(configuration: SMTPClientConfiguration) {
        self.configuration = configuration
        self.tlsActive = configuration.tlsActiveFromStart
    }

    /// How long the glue waits for the server in the current phase; nil when idle or closed
    /// (the glue's own idle limit applies) or while the glue itself does the TLS handshake.
    public var timeout: Duration? {
        switch phase {
        case .awaitingGreeting: return Timeouts.greeting
        case .inTransaction(let transaction):
            return transaction.expected.first == .data ? Timeouts.dataInitiation : Timeouts.command
        case .sendingContent: return Timeouts.dataBlock
        case .awaitingFinalReply, .awaitingAbandonedContentReply: return Timeouts.dataTermination
        case .awaitingEHLOReply, .awaitingHELOReply, .awaitingStartTLSReply, .authenticating, .awaitingQuitReply:
            return Timeouts.command
        case .awaitingTLSHandshake, .ready, .closed: return nil
        }
    }

    // MARK: events

    /// Bytes from the server (the plaintext or, after the handshake, the decrypted stream).
    public mutating func receive(_ bytes: ByteBuffer) -> [SMTPClientAction] {
        switch phase {
        case .closed: return []
        case .awaitingTLSHandshake:
            // RFC 3207 §4.2: nothing may come between the 220 and the handshake.
            return abort("the server sent plaintext after agreeing to STARTTLS (injection, as in CVE-2011-0411)")
        default: break
        }
        reader.append(bytes)
        var actions: [SMTPClientAction] = []
        while true {
            let reply: SMTPReply?
            do throws(SMTPReplyReadError) {
                reply = try reader.nextReply()
            } catch {
                return actions + abort("the server's reply cannot be read: \(Self.describe(error))")
            }
            guard let reply else { return actions }
            actions += handle(reply)
            switch phase {
            case .closed, .awaitingTLSHandshake: return actions
            default: continue
            }
        }
    }

    /// The TLS handshake after STARTTLS succeeded: forget what was said before (RFC 3207 §4.2)
    /// and greet again.
    public mutating func tlsEstablished() -> [SMTPClientAction] {
        guard phase == .awaitingTLSHandshake else { return [] }
        tlsActive = true
        capabilities = SMTPServerCapabilities()
        reader = SMTPReplyReader()
        phase = .awaitingEHLOReply
        return [.send(.ehlo(configuration.clientName))]
    }

    /// The handshake failed. Under `may` the glue may connect again without STARTTLS.
    public mutating func tlsFailed(_ reason: String) -> [SMTPClientAction] {
        guard phase == .awaitingTLSHandshake else { return [] }
        phase = .closed
        let optional = configuration.tlsPolicy == .may
        return [.close(SMTPClientFailure(status: .deferred, reason: "TLS handshake failed: \(reason)",
                                         enhancedCode: "4.7.5", retryWithoutTLS: optional))]
    }

    /// The glue wrote the whole content and its end marker: now the final reply is due.
    public mutating func contentSent() -> [SMTPClientAction] {
        guard case .sendingContent(let transaction) = phase else { return [] }
        phase = .awaitingFinalReply(transaction)
        return []
    }

    /// The phase's timeout passed (RFC 5321 §4.5.3.2).
    public mutating func timedOut() -> [SMTPClientAction] {
        abort("timed out waiting for the server (RFC 5321 §4.5.3.2)", enhanced: "4.4.2")
    }

    /// The server closed the connection.
    public mutating func connectionClosed() -> [SMTPClientAction] {
        if phase == .awaitingQuitReply {
            phase = .closed
            return [.close(nil)]
        }
        return abort("the server closed the connection", enhanced: "4.4.2")
    }

    /// Ends the connection politely (RFC 5321 §4.1.1.10); a transaction in progress is deferred.
    public mutating func quit() -> [SMTPClientAction] {
        switch phase {
        case .closed, .awaitingQuitReply: return []
        case .ready, .awaitingGreeting, .awaitingEHLOReply, .awaitingHELOReply, .awaitingStartTLSReply:
            phase = .awaitingQuitReply
            return [.send(.quit)]
        default:
            return abort("the connection was ended before the transaction finished")
        }
    }

    // MARK: replies outside transactions

    mutating func handle(_ reply: SMTPReply) -> [SMTPClientAction] {
        // RFC 5321 §3.8: 421 may come at any time; the server is closing the connection.
        if reply.code == 421, phase != .awaitingQuitReply {
            return abort("the server is closing the connection", reply: reply)
        }
        switch phase {
        case .awaitingGreeting:
            // RFC 5321 §4.3.1 and §3.1: only 220 opens a session; after 554 the client QUITs.
            guard reply.code == 220 else {
                return quit(failing: "the server did not greet with 220 (RFC 5321 §3.1)", reply: reply)
            }
            phase = .awaitingEHLOReply
            return [.send(.ehlo(configuration.clientName))]
        case .awaitingEHLOReply:
            if reply.code == 250 {
                capabilities = SMTPServerCapabilities(ehloReply: reply.lines)
                return afterGreeting()
            }
            // RFC 5321 §4.1.4: a server that does not know EHLO answers 5xx; fall back to HELO.
            guard reply.code / 100 == 5 else { return quit(failing: "the server refused EHLO", reply: reply) }
            phase = .awaitingHELOReply
            return [.send(.helo(configuration.clientName))]
        case .awaitingHELOReply:
            guard reply.code == 250 else { return quit(failing: "the server refused HELO", reply: reply) }
            capabilities = SMTPServerCapabilities()
            return afterGreeting()
        case .awaitingStartTLSReply:
            if reply.code == 220 {
                // RFC 3207 §4.2; CVE-2011-0411: bytes already here were sent in plaintext.
                guard reader.bufferedOctets == 0 else {
                    return abort("the server sent data behind its 220 to STARTTLS (injection, as in CVE-2011-0411)")
                }
                phase = .awaitingTLSHandshake
                return [.startTLS]
            }
            guard !configuration.tlsPolicy.requiresTLS else {
                return quit(failing: "the server refused STARTTLS, which the TLS policy requires", reply: reply,
                            enhanced: "4.7.10")
            }
            return authenticateOrBeReady()  // `may`: go on in plaintext
        case .authenticating(let step):
            return handleAuthentication(reply, step: step)
        case .inTransaction, .sendingContent, .awaitingFinalReply, .awaitingAbandonedContentReply:
            return handleTransaction(reply)
        case .awaitingQuitReply:
            phase = .closed
            return [.close(nil)]
        case .ready:
            return abort("the server sent a reply nobody asked for")
        case .awaitingTLSHandshake, .closed:
            return []
        }
    }

    /// After EHLO or HELO: STARTTLS if the policy and the server allow, else AUTH or ready.
    mutating func afterGreeting() -> [SMTPClientAction] {
        if !tlsActive, configuration.tlsPolicy != .none {
            if capabilities.startTLS {
                phase = .awaitingStartTLSReply
                return [.send(.starttls)]
            }
            if configuration.tlsPolicy.requiresTLS {
                return quit(failing: "the server does not offer STARTTLS, which the TLS policy requires", enhanced: "4.7.10")
            }
        }
        return authenticateOrBeReady()
    }

    mutating func authenticateOrBeReady() -> [SMTPClientAction] {
        guard let credentials = configuration.credentials else {
            phase = .ready
            return [.ready]
        }
        guard tlsActive || credentials.allowWithoutTLS else {
            return quit(failing: "refusing to send the smarthost password without TLS (RFC 4954 §4)", enhanced: "4.7.10")
        }
        // RFC 4616 §2: message = [authzid] NUL authcid NUL passwd; no authzid.
        if capabilities.authMechanisms.contains("PLAIN") {
            let message: [UInt8] = [0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8)
            phase = .authenticating(.plain)
            return [.send(.auth(mechanism: "PLAIN", initialResponse: Array(Base64.encode(message).utf8)))]
        }
        if capabilities.authMechanisms.contains("LOGIN") {
            phase = .authenticating(.loginUsername)
            return [.send(.auth(mechanism: "LOGIN", initialResponse: Array(Self.saslResponse(credentials.username).utf8)))]
        }
        return quit(failing: "the server offers neither AUTH PLAIN nor AUTH LOGIN", enhanced: "4.7.0")
    }

    /// RFC 4954 §4: 235 succeeded; 334 asks for more; 535 (and any 5xx) refused the
    /// credentials, which another try will not change; 454 and 4xx are temporary.
    mutating func handleAuthentication(_ reply: SMTPReply, step: AuthenticationStep) -> [SMTPClientAction] {
        if reply.code == 235, step != .loginUsername {
            phase = .ready
            return [.ready]
        }
        if reply.code == 334, step == .loginUsername, let credentials = configuration.credentials {
            phase = .authenticating(.loginPassword)
            return [.sendSASLResponse(Self.saslResponse(credentials.password))]
        }
        if reply.code / 100 == 3 || reply.code / 100 == 2 {
            // A challenge or success out of turn: the exchange is out of step; give up.
            return abort("the server answered AUTH out of step")
        }
        return quit(failing: "the server refused the credentials", reply: reply)
    }

    /// An initial or later SASL response: base64, "=" for none (RFC 4954 §4).
    static func saslResponse(_ text: String) -> String {
        text.isEmpty ? "=" : Base64.encode(Array(text.utf8))
    }

    // MARK: ending

    /// QUIT and close, failing the connection with the reply's class (5xx failed, else deferred).
    mutating func quit(failing reason: String, reply: SMTPReply? = nil, enhanced: String = "4.0.0") -> [SMTPClientAction] {
        phase = .closed
        let status: SMTPDeliveryStatus = (reply?.code ?? 400) / 100 == 5 ? .failed : .deferred
        return [.send(.quit), .close(SMTPClientFailure(status: status, reason: reason, reply: reply,
                                                       enhancedCode: reply?.enhanced ?? (status == .failed ? "5.0.0" : enhanced)))]
    }

    /// Closes at once: pending recipients of a transaction are deferred with `reply` or a reply
    /// made up from `reason`.
    /// A session already closed reports nothing more: its close was reported once (a timer or
    /// the peer's close can still arrive after it; found by FuzzSMTPClient).
    mutating func abort(_ reason: String, reply: SMTPReply? = nil, enhanced: String = "4.5.0") -> [SMTPClientAction] {
        guard phase != .closed else { return [] }
        var actions: [SMTPClientAction] = []
        let local = SMTPReply(451, enhanced, reason)
        switch phase {
        case .inTransaction(var transaction), .sendingContent(var transaction),
             .awaitingFinalReply(var transaction), .awaitingAbandonedContentReply(var transaction):
            transaction.settleAll(status: .deferred, reply: reply ?? local, remote: reply != nil)
            actions.append(.transactionFinished(transaction.finalResults))
        default:
            break
        }
        phase = .closed
        actions.append(.close(SMTPClientFailure(status: .deferred, reason: reason, reply: reply,
                                                enhancedCode: reply?.enhanced ?? enhanced)))
        return actions
    }

    static func describe(_ error: SMTPReplyReadError) -> String {
        switch error {
        case .lineTooLong: return "a line longer than \(SMTPReplyReader.maximumLineLength) octets"
        case .bareLineEnding: return "a bare CR or LF instead of CRLF"
        case .malformedLine(let line): return "a malformed line \"\(String(decoding: line.prefix(100), as: UTF8.self))\""
        case .codeChanged(let from, let to, _): return "the code changed within one reply (\(from), then \(to))"
        case .tooManyLines: return "more than \(SMTPReplyReader.maximumLines) lines in one reply"
        }
    }
}
