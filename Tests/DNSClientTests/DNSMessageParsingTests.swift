import Testing
@testable import DNSClient

@Suite("DNS message parsing (RFC 1035 §4.1)")
struct DNSMessageParsingTests {
    @Test func readsHeaderFlagsAndExtendedRcode() throws {
        // AA, TC, AD set; RCODE 0 in the header, 1 in the OPT: full RCODE 16 (BADVERS, RFC 6891 §9).
        var packet = PacketBuilder(flags: 0x0400 | 0x0200 | 0x0020, additional: 1)
        packet.question("example.org", .mx)
        packet.opt(payload: 4096, extendedRcode: 1, dnssecOK: true)
        let message = try packet.message
        #expect(message.header.id == 0x1234)
        #expect(message.header.isResponse && message.header.authoritative && message.header.truncated)
        #expect(message.header.recursionDesired && message.header.recursionAvailable && message.header.authenticData)
        #expect(!message.header.checkingDisabled)
        #expect(message.responseCode == 16)
        #expect(message.edns == DNSEDNS(udpPayloadSize: 4096, extendedRcode: 1, version: 0, dnssecOK: true))
        #expect(message.additional.isEmpty)  // OPT is taken out of the section
    }

    @Test func parsesEveryRecordType() throws {
        var packet = PacketBuilder(answers: 8)
        packet.question("example.org", .a)
        packet.record("example.org", .a, rdata: [192, 0, 2, 1])
        packet.record("example.org", .aaaa, rdata: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        packet.record("example.org", .mx, rdata: [0, 10] + PacketBuilder.wireName("mx.example.org"))
        packet.record("example.org", .txt, rdata: [3] + Array("v=s".utf8) + [0] + [2] + Array("pf".utf8))
        packet.record("_25._tcp.mx.example.org", .tlsa, rdata: [3, 1, 1, 0xAB, 0xCD])
        packet.record("1.2.0.192.in-addr.arpa", .ptr, rdata: PacketBuilder.wireName("host.example.org"))
        packet.record("www.example.org", .cname, rdata: PacketBuilder.wireName("example.org"))
        packet.record("example.org", DNSRecordType(rawValue: 99), rdata: [1, 2, 3])
        let data = try packet.message.answers.map(\.data)
        #expect(data[0] == .a(IPv4Address(validated: [192, 0, 2, 1])))
        guard case .aaaa(let v6) = data[1] else { Issue.record("no AAAA"); return }
        #expect(v6.description == "2001:db8::1")
        #expect(data[2] == .mx(MXRecord(preference: 10, exchange: try DNSName("mx.example.org"))))
        #expect(data[3] == .txt(TXTRecord(strings: [Array("v=s".utf8), [], Array("pf".utf8)])))
        #expect(data[4] == .tlsa(TLSARecord(usage: 3, selector: 1, matchingType: 1, associationData: [0xAB, 0xCD])))
        #expect(data[5] == .ptr(try DNSName("host.example.org")))
        #expect(data[6] == .cname(try DNSName("example.org")))
        #expect(data[7] == .opaque([1, 2, 3]))
    }

    @Test func parsesSOA() throws {
        var packet = PacketBuilder(authority: 1)
        packet.question("example.org", .mx)
        packet.record("example.org", .soa, ttl: 600, rdata: PacketBuilder.soaData(minimum: 120))
        guard case .soa(let soa) = try packet.message.authority[0].data else { Issue.record("no SOA"); return }
        #expect(soa.primaryServer == (try DNSName("ns.test")))
        #expect(soa.responsibleMailbox == (try DNSName("hostmaster.test")))
        #expect(soa.serial == 1 && soa.refresh == 3600 && soa.retry == 600 && soa.expire == 86400 && soa.minimum == 120)
    }

    @Test func followsBackwardCompressionPointers() throws {
        var packet = PacketBuilder(answers: 1)
        let questionName = packet.bytes.count
        packet.question("example.org", .mx)
        packet.pointer(to: questionName)  // the owner: the question's name
        // RDATA: preference, then "mx" and a pointer to "example.org".
        packet.recordTail(.mx, rdata: [0, 10, 2] + Array("mx".utf8) + [0xC0, UInt8(questionName)])
        let record = try packet.message.answers[0]
        #expect(record.name == (try DNSName("example.org")))
        #expect(record.data == .mx(MXRecord(preference: 10, exchange: try DNSName("mx.example.org"))))
    }

    @Test func refusesAPointerToItself() {
        var packet = PacketBuilder(answers: 1)
        packet.question("example.org", .a)
        let here = packet.bytes.count
        packet.pointer(to: here)
        packet.recordTail(.a, rdata: [1, 2, 3, 4])
        #expect(throws: DNSParseError.compressionPointerNotBackwards) { try packet.message }
    }

    @Test func refusesAForwardPointer() {
        var packet = PacketBuilder(answers: 1)
        packet.question("example.org", .a)
        packet.pointer(to: packet.bytes.count + 20)
        packet.recordTail(.a, rdata: [1, 2, 3, 4])
        #expect(throws: DNSParseError.compressionPointerNotBackwards) { try packet.message }
    }

    @Test func refusesALoopThroughABackwardPointer() {
        // At 12: label "a", then a pointer back to 12: backwards, yet a loop.
        var packet = PacketBuilder(questions: 1)
        packet.bytes += [1, UInt8(ascii: "a"), 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSParseError.compressionPointerNotBackwards) { try packet.message }
    }

    @Test func refusesNamesOver255Octets() {
        var packet = PacketBuilder(questions: 1)
        for _ in 0..<5 { packet.bytes += [63] + [UInt8](repeating: UInt8(ascii: "a"), count: 63) }
        packet.bytes += [0, 0, 1, 0, 1]
        #expect(throws: DNSParseError.nameTooLong) { try packet.message }
    }

    @Test func refusesExtendedLabelTypes() {
        var packet = PacketBuilder(questions: 1)
        packet.bytes += [0x41, 0, 0, 1, 0, 1]
        #expect(throws: DNSParseError.unsupportedLabelType) { try packet.message }
    }

    @Test func refusesEveryTruncationOfAValidMessage() throws {
        var packet = PacketBuilder(answers: 1, authority: 1, additional: 1)
        packet.question("example.org", .mx)
        packet.record("example.org", .mx, rdata: [0, 10] + PacketBuilder.wireName("mx.example.org"))
        packet.record("example.org", .soa, rdata: PacketBuilder.soaData(minimum: 60))
        packet.opt()
        _ = try packet.message
        for length in 0..<packet.bytes.count {
            #expect(throws: DNSParseError.self) { try DNSMessage(parsing: Array(packet.bytes.prefix(length))) }
        }
    }

    @Test func refusesRecordDataThatDoesNotFitItsType() {
        for (type, rdata) in [(DNSRecordType.a, [UInt8]([1, 2, 3])), (.aaaa, [1, 2, 3, 4]), (.tlsa, [3, 1]),
                              (.txt, [5, 65]), (.txt, []), (.mx, [0, 10, 2, 65, 65, 0, 99])] {
            var packet = PacketBuilder(answers: 1)
            packet.question("example.org", type)
            packet.record("example.org", type, rdata: rdata)
            #expect(throws: DNSParseError.badRecordData(type)) { try packet.message }
        }
    }

    @Test func refusesACountLargerThanTheMessage() {
        var packet = PacketBuilder(answers: 65535)
        packet.question("example.org", .a)
        #expect(throws: DNSParseError.truncated) { try packet.message }
    }

    @Test func refusesTwoOPTRecords() {
        var packet = PacketBuilder(additional: 2)
        packet.question("example.org", .a)
        packet.opt()
        packet.opt()
        #expect(throws: DNSParseError.multipleOPTRecords) { try packet.message }
    }

    @Test func refusesBytesAfterTheLastRecord() {
        var packet = PacketBuilder()
        packet.question("example.org", .a)
        packet.bytes.append(0)
        #expect(throws: DNSParseError.trailingBytes) { try packet.message }
    }

    @Test func escapesOddOctetsInNamesSoTheyCannotPassForDots() throws {
        var packet = PacketBuilder(questions: 1)
        packet.bytes += [3, UInt8(ascii: "a"), UInt8(ascii: "."), 0x07, 0, 0, 1, 0, 1]
        #expect(try packet.message.questions[0].name.description == "a\\.\\007")
    }
}

@Suite("DNS queries (RFC 1035 §4.1, RFC 6891)")
struct DNSQueryTests {
    @Test func encodesRDOneQuestionAndAnOPTWith1232() throws {
        let query = DNSQuery(id: 0xBEEF, name: try DNSName("Example.ORG."), type: .mx, dnssecOK: true)
        let bytes = query.encode()
        #expect(Array(bytes.prefix(12)) == [0xBE, 0xEF, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1])
        let parsed = try DNSMessage(parsing: bytes)
        #expect(!parsed.header.isResponse && parsed.header.recursionDesired)
        #expect(parsed.questions == [DNSQuestion(name: try DNSName("example.org"), type: .mx)])
        #expect(parsed.edns == DNSEDNS(udpPayloadSize: 1232, extendedRcode: 0, version: 0, dnssecOK: true))
    }

    @Test func randomIDsDiffer() throws {
        let name = try DNSName("example.org")
        let ids = Set((0..<64).map { _ in DNSQuery.random(name: name, type: .a).id })
        #expect(ids.count > 32)
    }

    @Test func refusesNamesThatCannotBeWritten() {
        #expect(throws: DNSNameError.emptyLabel) { try DNSName("a..b") }
        #expect(throws: DNSNameError.labelTooLong) { try DNSName(String(repeating: "a", count: 64) + ".org") }
        #expect(throws: DNSNameError.nameTooLong) {
            try DNSName(Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."))
        }
        #expect(throws: DNSNameError.invalidCharacter) { try DNSName("ex ample.org") }
        #expect(throws: DNSNameError.empty) { try DNSName("") }
        #expect((try? DNSName("."))?.isRoot == true)
    }

    @Test func matchesOnlyAResponseWithOurIDAndQuestion() throws {
        let query = DNSQuery.test("example.org", .mx)
        func response(id: UInt16 = 0x1234, name: String = "EXAMPLE.org", type: DNSRecordType = .mx,
                      questions: Int = 1, flags: UInt16 = 0) throws -> DNSMessage {
            var packet = PacketBuilder(id: id, flags: flags, questions: questions)
            for _ in 0..<questions { packet.question(name, type) }
            return try packet.message
        }
        #expect(query.isAnswered(by: try response()))  // case differs: still ours (RFC 4343)
        #expect(!query.isAnswered(by: try response(id: 0x1235)))
        #expect(!query.isAnswered(by: try response(name: "example.net")))
        #expect(!query.isAnswered(by: try response(type: .a)))
        #expect(!query.isAnswered(by: try response(questions: 0)))
        #expect(!query.isAnswered(by: try response(questions: 2)))
        var notAResponse = try response()
        notAResponse.header.isResponse = false
        #expect(!query.isAnswered(by: notAResponse))
    }
}
