import Foundation

/// The SRS signing secret: `srs.secret` in the data folder, one line of base64 (32 random
/// octets), mode 0600. As with postsrsd's secret file, the line itself is the HMAC key, so the
/// file can be shared with postsrsd or pysrs, and moved with the data folder: addresses
/// rewritten before a move still reverse after it.
public enum SRSSecret {
    static let randomOctets = 32

    /// The secret, created first if missing: `init` makes it, but data folders made before SRS
    /// existed get theirs at the first `serve` that needs it.
    public static func load(dataDirectory: String) throws -> [UInt8] {
        let path = DataFolder(path: dataDirectory).srsSecretPath
        if !PrivateFile.exists(path) {
            do {
                try create(dataDirectory: dataDirectory)
            } catch PrivateFile.Failure.exists(_) {
                // Another process made it in the meantime: use theirs.
            }
        }
        let text = String(decoding: try PrivateFile.load(path), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !line.isEmpty else { throw PrivateFile.Failure.fileSystem("cannot use \(path)", "its first line is empty") }
        return Array(line.utf8)
    }

    /// Writes a new secret; never replaces an existing one (that would break every rewritten
    /// address still in flight).
    public static func create(dataDirectory: String) throws {
        var generator = SystemRandomNumberGenerator()
        let octets = (0..<randomOctets).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(octets).base64EncodedString() + "\n"
        try PrivateFile.store(Array(text.utf8), at: DataFolder(path: dataDirectory).srsSecretPath, replace: false)
    }
}
