#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPProtocol
@testable import IMAPMailbox
import NIOCore

/// A fresh Maildir root under /tmp, removed when the value goes away.
final class TestMaildir {
    let path: String

    init() {
        var template = Array("/tmp/imapmailbox-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }!
        path = String(cString: made)
        for directory in ["cur", "new", "tmp"] { mkdir("\(path)/\(directory)", 0o700) }
    }

    deinit { _ = system("rm -rf '\(path)'") }

    /// Writes a message file (LF line ends, as Maildirs keep them) at `relative`, with an mtime.
    func put(_ relative: String, _ text: String = "Subject: test\n\nbody\n", mtime: Int? = nil) {
        let full = "\(path)/\(relative)"
        let descriptor = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(descriptor >= 0, "open \(full)")
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if let mtime {
            var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
            futimens(descriptor, &times)
        }
        close(descriptor)
    }

    func names(_ directory: String) -> [String] {
        guard let handle = opendir("\(path)/\(directory)") else { return [] }
        defer { closedir(handle) }
        var result: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix(".") { result.append(name) }
        }
        return result.sorted()
    }

    func read(_ relative: String) -> String? {
        MessageFiles.read(path: "\(path)/\(relative)").map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Drives a session the way the glue does: parse a line, run it, collect the output in small
/// pieces (so every command goes through several `writeNext` calls).
struct TestClient {
    let session: IMAPAccountSession
    var budget = 64

    init(_ session: IMAPAccountSession) {
        self.session = session
    }

    /// The answer's lines without CRLF.
    func send(_ line: String, streamedLiterals: [String] = []) throws -> [String] {
        guard case .success(let command) = IMAPCommandParser.parse(line) else {
            throw TestFailure(description: "cannot parse \(line)")
        }
        return try run(command, streamedLiterals: streamedLiterals)
    }

    func run(_ command: IMAPTaggedCommand, streamedLiterals: [String] = []) throws -> [String] {
        let run = session.start(command, streamedLiterals: streamedLiterals)
        var buffer = ByteBuffer()
        var rounds = 0
        while try !run.writeNext(into: &buffer, budget: budget) {
            rounds += 1
            guard rounds < 10_000_000 else { throw TestFailure(description: "endless run") }
        }
        return Self.lines(String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
}

/// A store for one test, with a Maildir.
func openStore(_ maildir: TestMaildir, configuration: IMAPMailConfiguration = IMAPMailConfiguration())
    throws -> (IMAPMailStore, IMAPAccountSession)
{
    let store = IMAPMailStore(configuration: configuration)
    return (store, try store.openAccount(maildir: maildir.path))
}

/// The UIDVALIDITY a SELECT answered.
func uidValidity(_ lines: [String]) -> String {
    for line in lines {
        if let range = line.range(of: "[UIDVALIDITY ") { return String(line[range.upperBound...].prefix { $0.isNumber }) }
    }
    return "?"
}
