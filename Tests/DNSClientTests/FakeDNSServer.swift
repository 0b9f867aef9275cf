import Foundation

/// Runs fake_dns_server.py (PyPI dnslib) on 127.0.0.1 for one test: UDP and TCP on one free
/// port. The server lives until its stdin closes, so it goes away with the test process too.
final class FakeDNSServer {
    let port: Int
    private let process: Process
    private let input: Pipe

    init() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_dns_server.py")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
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
            throw FakeServerError(message: "fake DNS server did not start (is dnslib installed?): \(line)")
        }
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    struct FakeServerError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
