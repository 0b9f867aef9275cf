import DNSClient
import Foundation

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
