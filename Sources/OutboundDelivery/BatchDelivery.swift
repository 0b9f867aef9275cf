import Foundation
import Logging
import MailQueue
import NIOCore
import SMTPProtocol

/// One attempt for one claimed batch (one message, one destination domain): choose the
/// route, reuse or open a connection, run the transaction, and say what became of each
/// recipient. It does not touch the store; the scheduler records what it returns.
struct BatchDelivery: Sendable {
    let routes: RouteSelector
    let settings: OutboundSettings
    let tls: OutboundTLS
    let group: any EventLoopGroup
    let folder: QueueFolder
    let logger: Logger

    struct Outcome: Sendable {
        var results: [(recipient: QueuedRecipient, outcome: AttemptOutcome)]
        var relay: String?
        var tlsVersion: String?
    }

    /// `connection` is the worker's open connection from its last batch, if any; the one to
    /// keep for the next batch is returned with the outcome (nil: none is reusable). New
    /// connections go on `eventLoop`, the worker's own.
    func attempt(_ batch: ClaimedBatch, reusing connection: SMTPClientConnection?, on eventLoop: any EventLoop) async
        -> (Outcome, SMTPClientConnection?) {
        let prefix = batch.message.headerPrefix.map { [UInt8]($0) } ?? []
        // The prefix (DKIM signatures) is stored with LF line ends and sent with CRLF.
        let wireSize = QueuedEnvelope.wireSize(fileName: batch.message.fileName, storedSize: batch.message.size,
                                               prefixBytes: prefix.count + prefix.lazy.filter { $0 == UInt8(ascii: "\n") }.count)
        let (message, sent, unusable) = QueuedEnvelope.outboundMessage(for: batch, wireSize: wireSize)
        var results: [(QueuedRecipient, AttemptOutcome)] = unusable.map {
            ($0, .failed(RecordedReply(text: "the recipient address cannot be sent to", enhancedCode: "5.1.3")))
        }
        guard !sent.isEmpty else {
            return (Outcome(results: results), connection)
        }
        let content = OutboundContent(prefix: prefix, filePath: folder.messagePath(batch.message.fileName),
                                      omitsReturnPath: true)

        let hosts: [DeliveryHost]
        switch await routes.route(for: batch.destinationDomain) {
        case .success(let found): hosts = found
        case .failure(let failure):
            results += sent.map { ($0, Self.outcome(of: failure, remoteHost: nil)) }
            return (Outcome(results: results), connection)
        }

        var lastFailure = SMTPClientFailure(status: .deferred, reason: "no host to try", enhancedCode: "4.4.4")
        // The last host dialled, for the log's relay= when no connection got as far as a transaction.
        var lastTried: String?
        var current = connection
        // A connection from the last batch is tried first when it goes to one of this route's
        // hosts: consecutive messages to one host share it (RSET between, RFC 5321 §4.1.1.5).
        if let open = current, !(open.isReusable && hosts.contains(where: { $0.name == open.hostName })) {
            await open.close()
            current = nil
        }
        if let open = current {
            switch await open.deliver(message, content: content) {
            case .success(let replies):
                results += Self.match(replies, to: sent, peer: open.peerDescription)
                return (Outcome(results: results, relay: open.peerDescription, tlsVersion: open.tlsVersion),
                        open.isReusable ? open : nil)
            case .failure:
                // The peer closed a connection that sat idle between two batches; a fresh one
                // is tried below, as if this one had never been.
                await open.close()
                current = nil
            }
        }

        for host in hosts {
            for address in host.addresses {
                let configuration = SMTPClientConfiguration(
                    clientName: settings.heloName, tlsPolicy: policy(for: batch.destinationDomain),
                    tlsActiveFromStart: settings.smarthost.map { $0.implicitTLS && isSmarthost(host) } ?? false,
                    credentials: isSmarthost(host) ? settings.smarthost?.credentials : nil)
                let opened = await SMTPClientConnection.open(
                    host: host, address: address, configuration: configuration, tls: tls, group: eventLoop,
                    connectTimeout: settings.connectTimeout, logger: logger)
                let open: SMTPClientConnection
                switch opened {
                case .success(let connection): open = connection
                case .failure(let failure):
                    let peer = host.name == address ? "[\(address)]:\(host.port)" : "\(host.name)[\(address)]:\(host.port)"
                    logger.info("connection failed", metadata: ["host": "\(peer)", "reason": "\(failure)"])
                    lastFailure = failure
                    lastTried = peer
                    continue
                }
                switch await open.deliver(message, content: content) {
                case .success(let replies):
                    results += Self.match(replies, to: sent, peer: open.peerDescription)
                    return (Outcome(results: results, relay: open.peerDescription, tlsVersion: open.tlsVersion),
                            open.isReusable ? open : nil)
                case .failure(let failure):
                    // The transaction started; its recipients wait for the next attempt rather
                    // than risk a second copy through another host (RFC 5321 §4.5.4.1 retries).
                    await open.close()
                    results += sent.map { ($0, Self.outcome(of: failure, remoteHost: open.peerDescription)) }
                    return (Outcome(results: results, relay: open.peerDescription, tlsVersion: open.tlsVersion), nil)
                }
            }
        }
        // No host took the connection. A 5xx greeting is another host's business (Postfix's
        // smtp_skip_5xx_greeting): the message waits rather than bounces.
        var deferred = lastFailure
        if deferred.status == .failed, deferred.reply != nil {
            deferred = SMTPClientFailure(status: .deferred, reason: deferred.reason, reply: deferred.reply,
                                         enhancedCode: "4" + deferred.enhancedCode.dropFirst())
        }
        results += sent.map { ($0, Self.outcome(of: deferred, remoteHost: deferred.reply == nil ? nil : lastTried)) }
        return (Outcome(results: results, relay: lastTried), nil)
    }

    private func isSmarthost(_ host: DeliveryHost) -> Bool {
        guard let smarthost = settings.smarthost else { return false }
        return host.port == (smarthost.hop.port ?? settings.smtpPort) && {
            switch smarthost.hop.target {
            case .host(let name): return name.lowercased() == host.name.lowercased()
            case .address(let address): return address == host.name
            }
        }()
    }

    /// A smarthost is always verified (RFC 8314 §3.3 for submission; our password goes there).
    private func policy(for domain: String) -> SMTPClientTLSPolicy {
        if settings.routes[domain] == nil, settings.smarthost != nil { return .verify }
        return settings.tlsPolicy(for: domain)
    }

    static func match(_ replies: [SMTPRecipientResult], to recipients: [QueuedRecipient], peer: String)
        -> [(QueuedRecipient, AttemptOutcome)] {
        zip(recipients, replies).map { recipient, result in
            let recorded = RecordedReply(text: text(of: result.reply), enhancedCode: result.reply.enhanced,
                                         remoteHost: result.remote ? peer : nil)
            switch result.status {
            case .delivered: return (recipient, .delivered(recorded))
            case .deferred: return (recipient, .deferred(recorded))
            case .failed: return (recipient, .failed(recorded))
            }
        }
    }

    static func outcome(of failure: SMTPClientFailure, remoteHost: String?) -> AttemptOutcome {
        let text = failure.reply.map { "\(Self.text(of: $0)) (\(failure.reason))" } ?? failure.reason
        let recorded = RecordedReply(text: text, enhancedCode: failure.enhancedCode,
                                     remoteHost: failure.reply == nil ? nil : remoteHost)
        return failure.status == .failed ? .failed(recorded) : .deferred(recorded)
    }

    /// "550 5.1.1 no such user here", all lines of a multi-line reply joined by spaces.
    static func text(of reply: SMTPReply) -> String {
        var text = "\(reply.code)"
        if let enhanced = reply.enhanced { text += " \(enhanced)" }
        for line in reply.lines where !line.isEmpty { text += " \(line)" }
        return text
    }
}
