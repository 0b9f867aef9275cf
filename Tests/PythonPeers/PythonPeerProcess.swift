import Foundation

/// A Python peer for a test (a fake DNS server, a scripted SMTP server): started with
/// `python3 SCRIPT ARGUMENTS...`, it prints "PORT n" as its first line once it listens, and
/// lives until its stdin closes, so it goes away with the test process too.
/// Unchecked: every property is set once in init and never changes; Process and Pipe are thread-safe.
public final class PythonPeerProcess: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let input: Pipe

    /// `what` names the peer in the error when it does not start ("the SMTP peer (is aiosmtpd installed?)").
    public init(script: URL, arguments: [String], what: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path] + arguments
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // Read byte by byte so nothing after the line is consumed.
        var line = ""
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(Character(UnicodeScalar(byte)))
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw PythonPeerError(message: "\(what) did not start: \(line)")
        }
        self.port = port
    }

    /// Closes its stdin and waits for it to exit.
    public func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.waitUntilExit() }
    }
}

public struct PythonPeerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
