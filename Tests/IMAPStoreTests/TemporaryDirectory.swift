#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import IMAPStore
import MaildirStore

/// A fresh directory under /tmp, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/imapstore-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FileIO.fail("mkdtemp", "/tmp")
        }
        path = String(cString: made)
    }

    deinit { try? FileIO.removeTree(path) }

    func read(_ relative: String) throws -> String? {
        try FileIO.readTextIfPresent("\(path)/\(relative)")
    }

    func write(_ relative: String, _ text: String) throws {
        try FileIO.replace(path: "\(path)/\(relative)", with: text)
    }

    func exists(_ relative: String) -> Bool {
        FileIO.exists("\(path)/\(relative)")
    }

    func makeDirectory(_ relative: String) throws {
        try FileIO.makeDirectory("\(path)/\(relative)")
    }

    /// A message file with the given contents, mtime left as now.
    func deliver(_ relative: String, _ text: String = "Subject: test\r\n\r\nbody\r\n") throws {
        try write(relative, text)
    }

    func names(in relative: String) throws -> [String] {
        try DirectoryListing.names(in: "\(path)/\(relative)").sorted()
    }
}
