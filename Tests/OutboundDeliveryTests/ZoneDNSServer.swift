import DNSClient
import Foundation

/// Runs DNSClientTests' fake_dns_server.py (PyPI dnslib) on 127.0.0.1 with an extra zone file.
/// A copy of DNSClientTests' small FakeDNSServer launcher, with a zone argument: test targets
/// cannot share a helper file without a support target, and one Python script is shared anyway.
/// The server lives until its stdin closes, so it goes away with the test process.
/// Unchecked: every property is set once in init and never changes; one server serves a suite.
final class ZoneDNSServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let input: Pipe

    init(zone: String) throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let script = tests.appendingPathComponent("DNSClientTests/fake_dns_server.py")
        let zoneFile = FileManager.default.temporaryDirectory.appendingPathComponent("tsubame-route-zone-\(UUID().uuidString)")
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
            throw ZoneServerError(message: "fake DNS server did not start (is dnslib installed?): \(line)")
        }
        self.port = port
    }

    /// A resolver with a fresh cache, asking only this server.
    func resolver() throws -> DNSResolver {
        let configuration = try DNSResolverConfiguration(nameservers: ["127.0.0.1:\(port)"], timeout: .seconds(2), attempts: 3)
        return DNSResolver(configuration: configuration)
    }

    struct ZoneServerError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
