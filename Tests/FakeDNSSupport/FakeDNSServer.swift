import DNSClient
import Foundation

/// Runs fake_dns_server.py (PyPI dnslib) on 127.0.0.1: UDP and TCP on one free port, with the
/// script's own scripted names and, when given, an extra zone (one record per line, in zone
/// file syntax). Shared by the DNS client, route selection and SPF tests.
/// The server lives until its stdin closes, so it goes away with the test process too.
/// Unchecked: every property is set once in init and never changes; one server may serve a suite.
public final class FakeDNSServer: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let input: Pipe

    public init(zone: String? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_dns_server.py")
        var arguments = ["python3", script.path]
        var zoneFile: URL?
        if let zone {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tsubame-zone-\(UUID().uuidString)")
            try zone.write(to: file, atomically: true, encoding: .utf8)
            arguments.append(file.path)
            zoneFile = file
        }
        defer { if let zoneFile { try? FileManager.default.removeItem(at: zoneFile) } }  // read at start-up
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
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
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw FakeDNSServerError(message: "fake DNS server did not start (is dnslib installed?): \(line)")
        }
        self.port = port
    }

    /// A resolver with a fresh cache, asking only this server.
    public func resolver() throws -> DNSResolver {
        let configuration = try DNSResolverConfiguration(nameservers: ["127.0.0.1:\(port)"], timeout: .seconds(2), attempts: 3)
        return DNSResolver(configuration: configuration)
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

public struct FakeDNSServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
