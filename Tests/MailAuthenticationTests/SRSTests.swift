import Foundation
import MailAuthentication
import Testing

@Suite("SRS: forwarding and reversing sender addresses")
struct SRSTests {
    static let secret = Array("tsubame-srs-test-secret".utf8)
    static let now = Date(timeIntervalSince1970: 1_796_000_000)  // day 20787: 20787 % 1024 = 307 = "JT"
    static let day = 86400.0
    let srs = SRSRewriter(secret: secret, domain: "fwd.test", maximumAgeDays: 21)

    @Test func forwardWritesSRS0WithTheDayAndTheOriginalAddress() {
        let rewritten = srs.forward("alice@example.com", now: Self.now)
        let fields = rewritten.split(separator: "=").map(String.init)
        #expect(fields.count == 5, "\(rewritten)")
        #expect(fields[0] == "SRS0" && fields[1].count == 4 && fields[2] == "JT")
        #expect(fields[3] == "example.com" && fields[4] == "alice@fwd.test")
    }

    @Test func forwardLeavesOurDomainAndTheNullPathAlone() {
        #expect(srs.forward("", now: Self.now) == "")
        #expect(srs.forward("bob@fwd.test", now: Self.now) == "bob@fwd.test")
        #expect(srs.forward("bob@FWD.Test", now: Self.now) == "bob@FWD.Test")
        #expect(srs.forward("postmaster", now: Self.now) == "postmaster")
    }

    @Test func reverseGivesBackTheOriginalAddress() {
        for original in ["alice@example.com", "Mixed.Case@Example.ORG", "a=b+c@x.example", "\"odd local\"@q.example"] {
            let rewritten = srs.forward(original, now: Self.now)
            #expect(srs.reverse(rewritten, now: Self.now) == .address(original), "\(rewritten)")
        }
    }

    @Test func reverseIgnoresTheCaseOfPrefixHashAndDomain() {
        let rewritten = srs.forward("alice@example.com", now: Self.now)
        #expect(srs.reverse(rewritten.lowercased(), now: Self.now) == .address("alice@example.com"))
        #expect(srs.reverse(rewritten.uppercased(), now: Self.now) == .address("ALICE@EXAMPLE.COM"))
    }

    @Test func reverseRefusesAWrongHash() {
        let rewritten = srs.forward("alice@example.com", now: Self.now)
        var characters = Array(rewritten)
        characters[5] = characters[5] == "0" ? "1" : "0"  // digits: the compare ignores case
        #expect(srs.reverse(String(characters), now: Self.now) == .invalid(reason: "wrong hash"))
        // Another secret signs differently.
        let other = SRSRewriter(secret: Array("another".utf8), domain: "fwd.test")
        #expect(other.reverse(rewritten, now: Self.now) == .invalid(reason: "wrong hash"))
        // The original address cannot be changed under the hash.
        #expect(srs.reverse(rewritten.replacingOccurrences(of: "=alice@", with: "=mallory@"), now: Self.now)
                == .invalid(reason: "wrong hash"))
    }

    @Test func reverseHonoursTheMaximumAgeAcrossTheWrap() {
        let rewritten = srs.forward("alice@example.com", now: Self.now)
        #expect(srs.reverse(rewritten, now: Self.now.addingTimeInterval(21 * Self.day)) == .address("alice@example.com"))
        #expect(srs.reverse(rewritten, now: Self.now.addingTimeInterval(22 * Self.day)) == .invalid(reason: "expired"))
        // Made yesterday: "in the future" by the day count, i.e. 1023 days old.
        #expect(srs.reverse(rewritten, now: Self.now.addingTimeInterval(-Self.day)) == .invalid(reason: "expired"))
        // The 1024-day cycle wraps: day 1023 of one cycle and day 5 of the next are 6 apart.
        let lastDay = Date(timeIntervalSince1970: Double(1024 * 20 + 1023) * Self.day + 3600)
        let wrapped = srs.forward("alice@example.com", now: lastDay)
        #expect(wrapped.contains("=77="))
        #expect(srs.reverse(wrapped, now: lastDay.addingTimeInterval(6 * Self.day)) == .address("alice@example.com"))
        #expect(srs.reverse(wrapped, now: lastDay.addingTimeInterval(30 * Self.day)) == .invalid(reason: "expired"))
    }

    @Test func reverseTellsMalformedAndForeignAddressesApart() {
        #expect(srs.reverse("alice@fwd.test", now: Self.now) == .notSRS)
        #expect(srs.reverse("", now: Self.now) == .notSRS)
        #expect(srs.reverse("SRS0x@fwd.test", now: Self.now) == .notSRS)
        #expect(srs.reverse("SRS0=abcd=JT=example.com=alice@elsewhere.test", now: Self.now) == .notSRS)
        #expect(srs.reverse("SRS0=abcd=JT@fwd.test", now: Self.now) == .invalid(reason: "malformed SRS0 address"))
        #expect(srs.reverse("SRS0=abcd=JT==alice@fwd.test", now: Self.now) == .invalid(reason: "malformed SRS0 address"))
        #expect(srs.reverse("srs1=abcd=host@fwd.test", now: Self.now) == .invalid(reason: "malformed SRS1 address"))
        // A good hash over a bad timestamp is still refused.
        let rewritten = srs.forward("alice@example.com", now: Self.now)
        let hash = rewritten.split(separator: "=")[1]
        #expect(srs.reverse("SRS0=\(hash)=J1=example.com=alice@fwd.test", now: Self.now) == .invalid(reason: "wrong hash"))
    }

    @Test func srs0OfAnotherForwarderBecomesSRS1AndBack() {
        let theirs = "SRS0=HHHH=TT=example.com=alice@first.test"
        let ours = srs.forward(theirs, now: Self.now)
        #expect(ours.hasPrefix("SRS1="))
        #expect(ours.hasSuffix("=first.test==HHHH=TT=example.com=alice@fwd.test"), "\(ours)")
        #expect(srs.reverse(ours, now: Self.now) == .address(theirs))
        // Forwarded once more: still one SRS1 naming the first forwarder, signed by us.
        let again = srs.forward(ours.replacingOccurrences(of: "@fwd.test", with: "@second.test"), now: Self.now)
        #expect(again.hasSuffix("=first.test==HHHH=TT=example.com=alice@fwd.test"))
        #expect(srs.reverse(again, now: Self.now) == .address(theirs))
        // SRS1 hashes carry no day: they do not expire here (the SRS0 forwarder checks its own).
        #expect(srs.reverse(ours, now: Self.now.addingTimeInterval(400 * Self.day)) == .address(theirs))
        let forged = ours.replacingOccurrences(of: "first.test", with: "evil.test")
        #expect(srs.reverse(forged, now: Self.now) == .invalid(reason: "wrong hash"))
    }

    // MARK: pysrs

    static let samples = ["alice@example.com", "Mixed.Case@Example.ORG", "a=b+c@x.example", "user.name@sub.domain.example",
                          "SRS0=HHHH=TT=example.com=alice@first.test", "bob@fwd.test"]

    @Test func pysrsWritesTheSameAddressesAndReversesOurs() throws {
        let ours = Self.samples.map { srs.forward($0, now: Self.now) }
        let answer = try Self.runPysrs(forward: Self.samples, reverse: ours, now: Self.now)
        #expect(answer.forward == ours)
        for (index, reversal) in answer.reverse.enumerated() {
            if Self.samples[index] == "bob@fwd.test" {
                #expect(reversal["error"] != nil, "an address in our domain is not SRS")
            } else {
                #expect(reversal == ["address": Self.samples[index]], "\(ours[index])")
            }
        }
    }

    @Test func weReverseWhatPysrsWrote() throws {
        let theirs = try Self.runPysrs(forward: Self.samples, reverse: [], now: Self.now).forward
        for (index, address) in theirs.enumerated() {
            let expected: SRSRewriter.Reversal = address == "bob@fwd.test" ? .notSRS : .address(Self.samples[index])
            #expect(srs.reverse(address, now: Self.now.addingTimeInterval(3 * Self.day)) == expected, "\(address)")
        }
    }

    /// The cross-check must be able to fail: pysrs refuses a tampered address and an expired one.
    @Test func pysrsRefusesTamperedAndExpiredAddresses() throws {
        let good = srs.forward("alice@example.com", now: Self.now)
        let tampered = good.replacingOccurrences(of: "=alice@", with: "=mallory@")
        let answer = try Self.runPysrs(forward: [], reverse: [tampered, good],
                                       now: Self.now.addingTimeInterval(30 * Self.day))
        #expect(answer.reverse.count == 2)
        #expect(answer.reverse.allSatisfy { $0["error"] != nil }, "\(answer.reverse)")
    }

    struct PysrsAnswer: Decodable {
        var forward: [String]
        var reverse: [[String: String]]
    }

    static let python: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin")
        .split(separator: ":").map { "\($0)/python3" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// One python3 process: python/srs_check.py with the request as JSON on stdin.
    static func runPysrs(forward: [String], reverse: [String], now: Date) throws -> PysrsAnswer {
        let python = try #require(python, "python3 is needed for the pysrs cross-check")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("python/srs_check.py").path
        let request: [String: Any] = [
            "secret": String(decoding: secret, as: UTF8.self), "domain": "fwd.test",
            "now": now.timeIntervalSince1970, "max_age": 21, "forward": forward, "reverse": reverse,
        ]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "srs_check.py: \(String(decoding: problems, as: UTF8.self))")
        return try JSONDecoder().decode(PysrsAnswer.self, from: data)
    }
}
