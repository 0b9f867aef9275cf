import Testing
@testable import SMTPProtocol

@Suite("Received header: address literals and the client's name")
struct TraceHeaderTests {
    func received(name: String = "client.example", address: String = "192.0.2.1", utf8: Bool = false) -> String {
        let trace = TraceHeaders(reversePath: .null, clientName: name, clientAddress: address, serverName: "mx",
                                 protocolName: utf8 ? "UTF8SMTP" : "ESMTP", id: "ID", singleRecipient: nil,
                                 date: "D", utf8: utf8)
        let lines = trace.rendered.split(separator: "\n")
        return String(lines[1])
    }

    static let addresses: [(String, String)] = [
        ("192.0.2.1", "[192.0.2.1]"),
        ("::1", "[IPv6:::1]"),
        ("2001:db8::25", "[IPv6:2001:db8::25]"),
        ("::ffff:192.0.2.7", "[192.0.2.7]"),
        ("::FFFF:192.0.2.7", "[192.0.2.7]"),
        ("::ffff:2001:db8::1", "[IPv6:::ffff:2001:db8::1]"),
        (":ffff:192.0.2.7", "[IPv6::ffff:192.0.2.7]"),
    ]

    /// RFC 5321 §4.1.3: IPv6-address-literal = "IPv6:" IPv6-addr.
    @Test(arguments: addresses)
    func clientAddressesAreAddressLiterals(ip: String, literal: String) {
        #expect(received(address: ip) == "Received: from client.example (\(literal))")
    }

    static let names: [(String, String)] = [
        ("bücher.example", "xn--bcher-kva.example"),
        ("mail.例え.jp", "mail.xn--r8jz45g.jp"),
        ("client (evil)", "client__evil_"),
        ("a\u{85}b\u{2028}c\u{202E}", "a_b_c_"),
        ("[192.0.2.1]", "[192.0.2.1]"),
        ("a.b..c.", "a.b..c."),
        ("ex ample\u{7F}", "ex_ample_"),
    ]

    /// RFC 6531 §3.7.3: UTF-8 in headers only with SMTPUTF8; otherwise the A-label.
    @Test(arguments: names)
    func withoutSMTPUTF8TheNameIsASCII(name: String, written: String) {
        let line = received(name: name)
        #expect(line == "Received: from \(written) ([192.0.2.1])")
        #expect(line.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
    }

    @Test func withSMTPUTF8TheULabelStaysButControlsDoNot() {
        #expect(received(name: "bücher.example", utf8: true) == "Received: from bücher.example ([192.0.2.1])")
        #expect(received(name: "a\u{85}b\u{2028}c", utf8: true) == "Received: from a_b_c ([192.0.2.1])")
    }

    @Test func theNameStaysWithinADomainNamesLength() {
        #expect(received(name: String(repeating: "a", count: 400)).utf8.count == "Received: from  ([192.0.2.1])".utf8.count + 255)
        let wide = received(name: String(repeating: "燕", count: 200), utf8: true)
        #expect(wide.utf8.count <= "Received: from  ([192.0.2.1])".utf8.count + 255)
    }

    /// RFC 3492 §7.1 samples and well-known labels.
    static let punycode: [(String, String)] = [
        ("bücher", "bcher-kva"), ("münchen", "mnchen-3ya"), ("例え", "r8jz45g"), ("ü", "tda"),
        ("ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"), ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
    ]

    @Test(arguments: punycode)
    func punycodeMatchesTheRFCSamples(label: String, encoded: String) {
        #expect(Punycode.encode(Array(label.unicodeScalars)) == encoded)
    }
}
