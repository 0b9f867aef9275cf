import DNSClient
import FuzzSupport

/// The DNS message parser and the answer interpreter on what a resolver (or a spoofer) sends.
/// The input is the message itself, so the seeds are real responses.
/// - parsing never traps, and every name it returns fits RFC 1035 §2.3.4's limits;
/// - the full RCODE is the header's 4 bits under the OPT's 8;
/// - a query built from the message's own question is answered by it exactly when the
///   message is a standard-query response with that single question;
/// - the interpretation never traps; records it returns are all of the asked type and never
///   an empty list, and a positive TTL is no larger than the TTLs in the answer section;
/// - a query with any valid name encodes to a message that parses back to its question.
func fuzzDNSMessage(_ input: FuzzInput) {
    let bytes = input.bytes
    guard let message = try? DNSMessage(parsing: bytes) else { return }
    let records = message.answers + message.authority + message.additional
    for record in records {
        checkName(record.name)
        switch record.data {
        case .mx(let mx): checkName(mx.exchange)
        case .cname(let name), .ptr(let name): checkName(name)
        case .soa(let soa): checkName(soa.primaryServer); checkName(soa.responsibleMailbox)
        case .a(let address): precondition(address.octets.count == 4)
        case .aaaa(let address): precondition(address.octets.count == 16); _ = address.description
        case .txt(let txt): precondition(!txt.strings.isEmpty && txt.strings.allSatisfy { $0.count <= 255 })
        case .tlsa, .opaque: break
        }
    }
    precondition(message.responseCode & 0xF == UInt16(message.header.rcode))
    precondition(message.responseCode >> 4 == UInt16(message.edns?.extendedRcode ?? 0))
    guard let question = message.questions.first else { return }
    checkName(question.name)

    let query = DNSQuery(id: message.header.id, name: question.name, type: question.type)
    let expected = message.header.isResponse && message.header.opcode == 0 && message.questions.count == 1
        && question.questionClass == 1
    precondition(query.isAnswered(by: message) == expected)

    let result = DNSAnswerInterpreter.interpret(message, for: query)
    if case .records(let data, let ttl, _) = result {
        precondition(!data.isEmpty)
        let answerTTLs = message.answers.map(\.ttl)
        precondition(ttl <= answerTTLs.max()!)
        let ofType = message.answers.filter { $0.type == question.type }.map(\.data)
        precondition(data.allSatisfy { ofType.contains($0) })
    }

    // The question's name written back into a query reads back the same.
    let echo = DNSQuery(id: 1, name: question.name, type: question.type, dnssecOK: message.header.authenticData)
    guard let parsed = try? DNSMessage(parsing: echo.encode()) else { preconditionFailure("own query does not parse") }
    precondition(parsed.questions == [DNSQuestion(name: question.name, type: question.type, questionClass: 1)])
    precondition(parsed.edns?.udpPayloadSize == DNSQuery.advertisedUDPPayloadSize)
}

private func checkName(_ name: DNSName) {
    precondition(name.wireLength <= DNSName.maximumWireLength)
    precondition(name.labels.allSatisfy { !$0.isEmpty && $0.count <= DNSName.maximumLabelLength })
    // The presentation form reads back as the same name when it needs no escapes.
    let text = name.description
    if !text.contains("\\") {
        precondition((try? DNSName(text)) == name)
    }
}
