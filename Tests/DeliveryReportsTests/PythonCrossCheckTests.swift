import Foundation
import Testing
import DeliveryReports

/// The reports, read back by an independent MIME parser: Python's `email` package with
/// `policy=email.policy.default` (check_reports.py next to this file).
@Suite("Delivery reports: read by Python's email package")
struct PythonCrossCheckTests {
    struct Case {
        var name: String
        var report: DeliveryReport
        var statusType: String
        var returnedType: String
        var recipients: [[String: String]]
    }

    static var cases: [Case] {
        let builder = Fixture.builder()
        let hostile = "5.1.1 gone\r\nX-Injected: yes\r\n\r\n--=_T0KEN\r\nContent-Type: text/html"
        let utf8Original = Array("From: Jörg <jörg@tsubame.test>\nSubject: こんにちは\n\n本文\n".utf8)
        return [
            Case(name: "failure",
                 report: builder.report(envelope: Fixture.envelope(envelopeID: "QQ314159"),
                                        outcomes: [Fixture.failed()], originalMessage: Fixture.original)!,
                 statusType: "message/delivery-status", returnedType: "message/rfc822",
                 recipients: [["Final-Recipient": "rfc822; bob@remote.example", "Action": "failed",
                               "Status": "5.1.1",
                               "Diagnostic-Code": "smtp; 550 5.1.1 <bob@remote.example>: Recipient address rejected: User unknown"]]),
            Case(name: "hostile",
                 report: builder.report(envelope: Fixture.envelope(), outcomes: [Fixture.failed(reply: hostile)],
                                        originalMessage: Fixture.original)!,
                 statusType: "message/delivery-status", returnedType: "message/rfc822",
                 recipients: [["Final-Recipient": "rfc822; bob@remote.example", "Action": "failed",
                               "Diagnostic-Code": "smtp; 550 5.1.1 gone X-Injected: yes --=_T0KEN Content-Type: text/html",
                               "X-Injected": "<absent>"]]),
            Case(name: "delay-and-failure",
                 report: builder.report(envelope: Fixture.envelope(returnContent: .headers),
                                        outcomes: [Fixture.failed(), Fixture.delayed()],
                                        originalMessage: Fixture.original)!,
                 statusType: "message/delivery-status", returnedType: "text/rfc822-headers",
                 recipients: [["Final-Recipient": "rfc822; bob@remote.example", "Action": "failed", "Status": "5.1.1"],
                              ["Final-Recipient": "rfc822; carol@slow.example", "Action": "delayed", "Status": "4.4.1",
                               "Diagnostic-Code": "smtp; 421 4.4.1 Try again later",
                               "Will-Retry-Until": "Wed, 20 Jan 2027 08:00:00 +0000"]]),
            Case(name: "too-large",
                 report: builder.report(envelope: Fixture.envelope(), outcomes: [Fixture.failed()],
                                        originalMessage: Fixture.original + Array(repeating: 0x61, count: 300_000))!,
                 statusType: "message/delivery-status", returnedType: "text/rfc822-headers",
                 recipients: [["Action": "failed"]]),
            Case(name: "smtputf8",
                 report: builder.report(envelope: Fixture.envelope(reversePath: "jörg@tsubame.test", smtputf8: true),
                                        outcomes: [Fixture.failed("小林@例え.jp", reply: "5.1.1 ユーザー不明")],
                                        originalMessage: utf8Original)!,
                 statusType: "message/global-delivery-status", returnedType: "message/global",
                 recipients: [["Final-Recipient": "utf-8; 小林@例え.jp", "Action": "failed", "Status": "5.1.1",
                               "Diagnostic-Code": "smtp; 550 5.1.1 ユーザー不明"]]),
        ]
    }

    /// python3 from PATH, as a shell would find it.
    static let python: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin")
        .split(separator: ":").map { "\($0)/python3" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func pythonEmailPackageParsesEveryReport() throws {
        let files = Self.cases.map { item in
            (item.name, item.report.bytes, ["status_type": item.statusType, "returned_type": item.returnedType,
                                            "recipients": item.recipients] as [String: Any])
        }
        let (status, output) = try Self.runChecker(on: files)
        #expect(status == 0, "\(output)")
        #expect(output.contains("checked \(Self.cases.count) reports"), "\(output)")
    }

    /// The cross-check must be able to fail: a report with another Status than expected is refused.
    @Test func pythonCheckRefusesAReportWithAWrongStatus() throws {
        let item = Self.cases[0]
        let expected: [String: Any] = ["status_type": item.statusType, "returned_type": item.returnedType,
                                       "recipients": [["Status": "5.7.1"]]]
        let (status, output) = try Self.runChecker(on: [("wrong", item.report.bytes, expected)])
        #expect(status != 0)
        #expect(output.contains("wrong.eml: Status: '5.1.1' != '5.7.1'"), "\(output)")
    }

    /// Writes each report and its expectations to a fresh temporary folder and runs
    /// check_reports.py on it; returns the exit status and the combined output.
    static func runChecker(on files: [(name: String, bytes: [UInt8], expected: [String: Any])]) throws
        -> (status: Int32, output: String) {
        // python3 is on the CI machine; a missing one must fail, not pass silently.
        let python = try #require(Self.python, "python3 is needed for this cross-check")
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("tsubame-dsn-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in files {
            try Data(file.bytes).write(to: folder.appendingPathComponent("\(file.name).eml"))
            try JSONSerialization.data(withJSONObject: file.expected)
                .write(to: folder.appendingPathComponent("\(file.name).json"))
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("check_reports.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, folder.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
