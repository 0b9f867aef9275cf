import DeliveryReports

/// Fixed inputs: times, a constant token, a small original message.
enum Fixture {
    static let arrival = 1_800_000_000        // Fri, 15 Jan 2027 08:00:00 +0000
    static let lastAttempt = 1_800_003_600    // Fri, 15 Jan 2027 09:00:00 +0000
    static let retryUntil = 1_800_432_000     // Wed, 20 Jan 2027 08:00:00 +0000

    static let original = Array("""
        From: Alice <alice@tsubame.test>
        To: bob@remote.example
        Subject: Lunch
        Message-ID: <lunch-1@tsubame.test>

        Shall we meet at noon?

        """.utf8)

    static func builder(token: String = "T0KEN", limits: DeliveryReportLimits = DeliveryReportLimits())
        -> DeliveryReportBuilder {
        DeliveryReportBuilder(reportingHost: "mx.tsubame.test", limits: limits,
                              now: { 1_800_007_200 }, uniqueToken: { token })
    }

    static func envelope(reversePath: String = "alice@tsubame.test", envelopeID: String? = nil,
                         returnContent: ReturnContent? = nil, smtputf8: Bool = false) -> OriginalEnvelope {
        OriginalEnvelope(reversePath: reversePath, envelopeID: envelopeID, returnContent: returnContent,
                         smtputf8: smtputf8, arrivalDate: arrival)
    }

    static func failed(_ address: String = "bob@remote.example", reply: String = "5.1.1 <bob@remote.example>: Recipient address rejected: User unknown",
                       notify: NotifyConditions? = nil) -> RecipientOutcome {
        RecipientOutcome(address: address, notify: notify, action: .failed, status: "5.1.1",
                         remoteMTA: "mx1.remote.example", remoteReply: RemoteReply(code: 550, text: reply),
                         lastAttemptDate: lastAttempt)
    }

    static func delayed(_ address: String = "carol@slow.example", notify: NotifyConditions? = nil) -> RecipientOutcome {
        RecipientOutcome(address: address, notify: notify, action: .delayed, status: "4.4.1",
                         remoteMTA: "mx.slow.example", remoteReply: RemoteReply(code: 421, text: "4.4.1 Try again later"),
                         lastAttemptDate: lastAttempt, willRetryUntil: retryUntil)
    }
}

/// A report taken apart the simple way, to check what the builder wrote (the Python test
/// checks the same reports with an independent MIME parser).
struct ReportAnatomy {
    var header: [String: String] = [:]
    var headerLines: [String] = []
    var preamble = ""
    var parts: [(header: [String: String], body: String)] = []
    var boundary = ""

    init(_ report: DeliveryReport) {
        let text = String(decoding: report.bytes, as: UTF8.self)
        let split = text.firstRange(of: "\n\n")!
        headerLines = text[..<split.lowerBound].split(separator: "\n").map(String.init)
        header = Self.fields(String(text[..<split.lowerBound]))
        let contentType = header["content-type"] ?? ""
        boundary = String(contentType.split(separator: "boundary=\"").last!.dropLast())
        let body = String(text[split.upperBound...])
        var chunks = body.split(separator: "\n--\(boundary)", omittingEmptySubsequences: false).map(String.init)
        preamble = chunks.removeFirst()
        for chunk in chunks where !chunk.hasPrefix("--") {
            let content = String(chunk.dropFirst())  // the delimiter's line end
            let end = content.firstRange(of: "\n\n")!
            parts.append((Self.fields(String(content[..<end.lowerBound])), String(content[end.upperBound...])))
        }
    }

    /// Lower-cased names to unfolded values.
    static func fields(_ block: String) -> [String: String] {
        var result: [String: String] = [:]
        var lastName = ""
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == " " || line.first == "\t" {
                result[lastName, default: ""] += String(line)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            lastName = line[..<colon].lowercased()
            result[lastName] = String(line[line.index(after: colon)...].drop(while: { $0 == " " }))
        }
        return result
    }
}
