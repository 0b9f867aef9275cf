#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small system facts the store needs.
enum HostName {
    /// For Maildir file names (the part after the last ".").
    static func current() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// The Maildir root with cur/, new/ and tmp/ (mode 0700).
    static func makeMaildir(_ root: String) throws {
        for directory in [root, "\(root)/cur", "\(root)/new", "\(root)/tmp"] {
            if mkdir(directory, 0o700) < 0, errno != EEXIST {
                throw OwnerWriteError.failed("mkdir \(directory): \(String(cString: strerror(errno)))")
            }
        }
    }
}
