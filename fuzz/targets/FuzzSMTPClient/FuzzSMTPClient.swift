import FuzzSupport
import NIOCore
import SMTPProtocol

/// A hostile server against `SMTPClientSession`, which a glue drives as the real one would
/// (handshakes, transactions, content) with the fuzzer choosing the server's bytes, their
/// cuts, and now and then an event out of turn. What must hold:
/// - never traps, whatever the order of events;
/// - `.sendContent` only in answer to bytes holding a 354 reply;
/// - a recipient is `.delivered` only with the server's 2xx, after its content was written;
/// - each started transaction finishes once, with one result per recipient, in order;
/// - every command sent encodes to a line the server's parser reads back to the same command;
/// - STARTTLS only under a policy that allows it; AUTH only inside TLS unless allowed;
/// - nothing is asked of the glue after `.close`.
func fuzzSMTPClient(_ input: FuzzInput) {
    var input = input
    let settings = input.byte()
    let policies: [SMTPClientTLSPolicy] = [.none, .may, .encrypt, .verify]
    let credentials = settings & 4 == 0 ? nil
        : SMTPClientCredentials(username: "user", password: "secret", allowWithoutTLS: settings & 8 != 0)
    let configuration = SMTPClientConfiguration(clientName: "client.example", tlsPolicy: policies[Int(settings & 3)],
                                                tlsActiveFromStart: settings & 16 != 0, credentials: credentials)
    var driver = Driver(session: SMTPClientSession(configuration: configuration))
    var steps = 0
    while !input.isAtEnd, steps < 64 {
        steps += 1
        let choice = input.byte()
        switch choice {
        case 0..<200: driver.serverSends(serverBytes(&input))
        case 200..<210:
            let actions = driver.session.timedOut()
            driver.answer(actions)
        case 210..<220:
            let actions = driver.session.connectionClosed()
            driver.answer(actions)
        case 220..<230:
            let actions = driver.session.quit()
            driver.answer(actions)
        case 230..<240:
            let actions = driver.session.contentSent()
            driver.answer(actions, contentWritten: true)
        case 240..<248: driver.tlsEstablished()
        case 248..<252:
            let actions = driver.session.tlsFailed("fuzz")
            driver.answer(actions)
        default: driver.startTransaction(message(&input))
        }
        if driver.closed { break }
        driver.followPendingWork(&input)
    }
}

private struct Driver {
    var session: SMTPClientSession
    var closed = false
    /// Recipients of the transaction started and not yet finished.
    var open: [SMTPMailbox]?
    var contentWritten = false
    var awaitingContent = false
    var readyForWork = false
    var startTLSPending = false
    var replies = SMTPReplyReader()
    var referenceBroken = false

    mutating func serverSends(_ bytes: [UInt8]) {
        // What the session must have seen: the same bytes through the same grammar.
        var codes: [Int] = []
        if !referenceBroken {
            replies.append(ByteBuffer(bytes: bytes))
            do {
                while let reply = try replies.nextReply() { codes.append(reply.code) }
            } catch {
                referenceBroken = true
            }
        }
        let actions = session.receive(ByteBuffer(bytes: bytes))
        if actions.contains(.sendContent) {
            precondition(codes.contains(354) || referenceBroken, "content without a 354: \(codes)")
        }
        answer(actions)
    }

    mutating func answer(_ actions: [SMTPClientAction], contentWritten written: Bool = false) {
        if written, awaitingContent {
            awaitingContent = false
            contentWritten = true
        }
        precondition(!closed || actions.isEmpty, "actions after close: \(actions)")
        for (position, action) in actions.enumerated() {
            switch action {
            case .send(let command):
                let line = SMTPCommandEncoder.line(command)
                precondition(SMTPCommandParser.parse(Array(line.utf8)) == .success(command), "round trip of \(line)")
                if command == .starttls {
                    precondition(session.configuration.tlsPolicy != .none, "STARTTLS under policy none")
                }
                if case .auth = command {
                    precondition(session.tlsActive || session.configuration.credentials?.allowWithoutTLS == true,
                                 "AUTH without TLS")
                }
            case .sendSASLResponse:
                precondition(session.configuration.credentials != nil)
            case .startTLS:
                precondition(session.configuration.tlsPolicy != .none && !session.tlsActive)
                startTLSPending = true
            case .sendContent:
                precondition(open != nil, "content outside a transaction")
                awaitingContent = true
            case .sendEndOfContentOnly:
                precondition(open != nil)
            case .transactionFinished(let results):
                guard let recipients = open else { preconditionFailure("a transaction finished twice") }
                precondition(results.map(\.recipient) == recipients, "results do not match the recipients")
                for result in results where result.status == .delivered {
                    precondition(result.remote && (200...299).contains(result.reply.code) && contentWritten,
                                 "delivered without a 2xx after the content: \(result)")
                }
                open = nil
            case .ready:
                readyForWork = true
            case .close(let failure):
                precondition(failure?.status != .delivered)
                precondition(position == actions.count - 1, "actions after close")
                closed = true
            }
        }
    }

    /// After the handshake both the session and the reference read a new stream (RFC 3207 §4.2).
    mutating func tlsEstablished() {
        let handshakeDue = session.phase == .awaitingTLSHandshake
        let actions = session.tlsEstablished()
        answer(actions)
        if handshakeDue {
            replies = SMTPReplyReader()
            referenceBroken = false
        }
    }

    mutating func startTransaction(_ message: SMTPOutboundMessage) {
        let wasReady = session.phase == .ready
        if wasReady {
            open = message.recipients.map(\.mailbox)
            contentWritten = false
            readyForWork = false
            let actions = session.start(message)
            answer(actions)
        } else {
            let actions = session.start(message)
            // Refused out of turn: every recipient deferred, nothing sent.
            guard case .transactionFinished(let results)? = actions.first, actions.count == 1,
                  results.allSatisfy({ $0.status == .deferred && !$0.remote }) else {
                preconditionFailure("start outside ready: \(actions)")
            }
        }
    }

    /// What a glue does next on its own: finish writing content, complete a handshake, start
    /// the next message.
    mutating func followPendingWork(_ input: inout FuzzInput) {
        if awaitingContent, input.byte() & 3 != 0 {
            let actions = session.contentSent()
            answer(actions, contentWritten: true)
        }
        if startTLSPending, session.phase == .awaitingTLSHandshake {
            startTLSPending = false
            if input.byte() & 7 == 0 {
                let actions = session.tlsFailed("fuzz")
                answer(actions)
            } else {
                tlsEstablished()
            }
        }
        if readyForWork, session.phase == .ready, !closed {
            readyForWork = false
            if input.byte() & 7 == 0 {
                let actions = session.quit()
                answer(actions)
            } else {
                startTransaction(message(&input))
            }
        }
    }
}

/// Replies that reach the session's branches often, then raw bytes now and then.
private func serverBytes(_ input: inout FuzzInput) -> [UInt8] {
    let kind = input.byte()
    if kind < 32 {
        let length = input.int(in: 0...255)
        return (0..<length).map { _ in input.byte() }
    }
    let codes = [220, 250, 354, 235, 334, 221, 421, 450, 451, 452, 454, 500, 501, 502, 503, 530, 535, 550, 552, 554, 251, 252, 555]
    let code = codes[Int(kind) % codes.count]
    let enhanced: String? = input.bool() ? "\(code / 100).\(input.int(in: 0...7)).\(input.int(in: 0...12))" : nil
    var lines = ["mx.example"]
    if code == 250, input.bool() {
        let keywords = ["PIPELINING", "SIZE 1000", "SIZE", "8BITMIME", "SMTPUTF8", "DSN", "STARTTLS", "AUTH PLAIN LOGIN",
                        "AUTH LOGIN", "CHUNKING", "ENHANCEDSTATUSCODES", "SIZE 99999999999999999999"]
        let mask = Int(input.byte()) << 8 | Int(input.byte())
        lines += keywords.indices.filter { mask & (1 << $0) != 0 }.map { keywords[$0] }
    }
    var wire = ByteBuffer()
    wire.writeSMTPReply(SMTPReply(code, enhanced, lines))
    return Array(wire.readableBytesView)
}

private func message(_ input: inout FuzzInput) -> SMTPOutboundMessage {
    let flags = input.byte()
    let count = input.int(in: 0...4)
    let recipients = (0..<count).map { index in
        SMTPOutboundRecipient(SMTPMailbox(localPart: flags & 32 != 0 && index == 0 ? "ü\(index)" : "r\(index)", domain: "example.org"),
                              dsn: SMTPRecipientParameters(notify: flags & 64 != 0 ? [.failure, .delay] : nil,
                                                           originalRecipient: flags & 64 != 0 ? "r\(index)@example.org" : nil))
    }
    return SMTPOutboundMessage(reversePath: flags & 1 != 0 ? .null : .mailbox(SMTPMailbox(localPart: "s", domain: "example.net")),
                               recipients: recipients, size: input.int(in: 0...3000),
                               bodyType: flags & 2 != 0 ? .eightBitMIME : .sevenBit, needsSMTPUTF8: flags & 4 != 0,
                               dsnReturn: flags & 8 != 0 ? .headers : nil, envelopeID: flags & 16 != 0 ? "id+1 x" : nil)
}
