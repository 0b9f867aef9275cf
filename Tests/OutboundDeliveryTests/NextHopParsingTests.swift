import Testing
@testable import OutboundDelivery

@Suite struct NextHopParsingTests {
    static let accepted: [(String, NextHop)] = [
        ("[192.0.2.10]:25", NextHop(target: .address("192.0.2.10"), port: 25)),
        ("[2001:db8::1]:587", NextHop(target: .address("2001:db8::1"), port: 587)),
        ("[2001:DB8:0:0::1]", NextHop(target: .address("2001:db8::1"))),
        ("[IPv6:2001:db8::1]:25", NextHop(target: .address("2001:db8::1"), port: 25)),
        ("[192.0.2.10]", NextHop(target: .address("192.0.2.10"))),
        ("192.0.2.10", NextHop(target: .address("192.0.2.10"))),
        ("192.0.2.10:2525", NextHop(target: .address("192.0.2.10"), port: 2525)),
        ("smtp.isp.example:587", NextHop(target: .host("smtp.isp.example"), port: 587)),
        ("smtp.isp.example", NextHop(target: .host("smtp.isp.example"))),
        ("SMTP.ISP.Example.:465", NextHop(target: .host("smtp.isp.example"), port: 465)),
        ("[smtp.isp.example]:587", NextHop(target: .host("smtp.isp.example"), port: 587)),
        ("localhost:1", NextHop(target: .host("localhost"), port: 1)),
        ("mx_1.example:65535", NextHop(target: .host("mx_1.example"), port: 65535)),
    ]

    @Test(arguments: accepted)
    func parsesTheConfigForms(text: String, expected: NextHop) {
        #expect(NextHop(parsing: text) == expected)
    }

    @Test(arguments: [
        "", " ", ":25", "[]", "[]:25", "smtp.isp.example:", "smtp.isp.example:0", "smtp.isp.example:65536",
        "smtp.isp.example:+25", "smtp.isp.example:25a", "smtp.isp.example:025000", "smtp.isp.example: 25",
        "smtp isp.example", " smtp.isp.example", "smtp.isp.example\n", "2001:db8::1", "2001:db8::1:25",
        "[2001:db8::1", "[2001:db8::1]25", "[2001:db8::1]:", "[192.0.2.10]x", "[IPv6:192.0.2.10]",
        "[IPv6:smtp.isp.example]", "smtp..isp.example", ".smtp.isp.example", "-smtp.isp.example",
        "smtp-.isp.example", "smtp.isp.example..", "192.0.2.999", "1.2.3", "smtp@isp.example",
        "smtp.isp.example:25:25", "sméтp.example", String(repeating: "a", count: 64) + ".example", ".",
    ])
    func rejectsMalformedHops(text: String) {
        #expect(NextHop(parsing: text) == nil)
    }

    @Test func descriptionParsesBackToTheSameHop() {
        for (_, hop) in Self.accepted {
            #expect(NextHop(parsing: hop.description) == hop)
        }
    }
}
