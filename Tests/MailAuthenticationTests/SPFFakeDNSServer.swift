import DNSClient
import Foundation

/// Runs DNSClientTests' fake_dns_server.py (PyPI dnslib) on 127.0.0.1 with the zone of
/// SPFCrossCheckTests. DUPLICATION to clean later: this is OutboundDeliveryTests'
/// ZoneDNSServer (itself a copy of DNSClientTests' FakeDNSServer launcher), since test targets
/// cannot share a helper file without a support target; the Python script is shared.
/// The server lives until its stdin closes, so it goes away with the test process.
/// Unchecked: every property is set once in init and never changes.
final class SPFFakeDNSServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let input: Pipe

    init(zone: String) throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let script = tests.appendingPathComponent("DNSClientTests/fake_dns_server.py")
        let zoneFile = FileManager.default.temporaryDirectory.appendingPathComponent("tsubame-spf-zone-\(UUID().uuidString)")
        try zone.write(to: zoneFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, zoneFile.path]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The first line is "PORT n"; read byte by byte so nothing after it is consumed.
        var line = ""
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(Character(UnicodeScalar(byte)))
        }
        try? FileManager.default.removeItem(at: zoneFile)  // read at start-up
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw PythonToolError(message: "fake DNS server did not start (is dnslib installed?): \(line)")
        }
        self.port = port
    }

    /// A resolver with a fresh cache, asking only this server.
    func resolver() throws -> DNSResolver {
        let configuration = try DNSResolverConfiguration(nameservers: ["127.0.0.1:\(port)"], timeout: .seconds(2), attempts: 3)
        return DNSResolver(configuration: configuration)
    }
}

struct PythonToolError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs one script of Tests/MailAuthenticationTests/python with `input` on stdin (from a
/// temporary file, so no writer thread is needed); its stdout.
func runPythonScript(_ name: String, input: Data) throws -> Data {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("python/\(name)")
    let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent("tsubame-\(name)-\(UUID().uuidString).json")
    try input.write(to: inputFile)
    defer { try? FileManager.default.removeItem(at: inputFile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script.path]
    let stdout = Pipe(), stderr = Pipe()
    process.standardInput = try FileHandle(forReadingFrom: inputFile)
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw PythonToolError(message: "\(name) failed: \(String(decoding: errors, as: UTF8.self))")
    }
    return output
}
