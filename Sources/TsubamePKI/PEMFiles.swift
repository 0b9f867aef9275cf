#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftASN1
import X509

/// Reading and writing the PEM files under `DIR/tls`.
///
/// Writes are atomic: each file is written to a temporary name created with O_EXCL and its
/// final mode from the start (0600 for keys, so a key is never readable by others, not even
/// for an instant), fsynced, then renamed over the old file, and the directory is fsynced.
/// A group of files (key, certificate, chain) is staged completely before any is renamed, so a
/// failure half way leaves the previous set in place.
public enum PEMFiles {
    public static let privateKeyMode: mode_t = 0o600
    public static let certificateMode: mode_t = 0o644
    public static let directoryMode: mode_t = 0o700

    /// One file to write: its path, text and mode.
    public struct Entry: Sendable {
        public var path: String
        public var text: String
        public var mode: mode_t
        /// Bytes to write instead of `text`, for a binary file (a DER CRL).
        public var bytes: [UInt8]?

        public init(path: String, text: String, mode: mode_t) {
            self.path = path
            self.text = text
            self.mode = mode
        }

        public init(path: String, bytes: [UInt8], mode: mode_t) {
            self.init(path: path, text: "", mode: mode)
            self.bytes = bytes
        }
    }

    /// Creates the directory with mode 0700, or tightens an existing one to 0700.
    /// The parent must exist (it is the data folder).
    public static func prepareDirectory(_ path: String) throws {
        if mkdir(path, directoryMode) != 0 && errno != EEXIST {
            throw PKIError.fileSystem("cannot create \(path): \(errnoText())")
        }
        var info = stat()
        // stat, not lstat: an administrator may make tls a symlink to a directory elsewhere.
        guard stat(path, &info) == 0 else { throw PKIError.fileSystem("cannot inspect \(path): \(errnoText())") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw PKIError.fileSystem("\(path) exists and is not a directory")
        }
        if info.st_mode & 0o7777 != directoryMode, chmod(path, directoryMode) != 0 {
            throw PKIError.fileSystem("cannot set mode 0700 on \(path): \(errnoText())")
        }
    }

    /// The PEM entry for a private key (mode 0600).
    public static func privateKeyEntry(_ key: SigningKey, path: String) -> Entry {
        Entry(path: path, text: key.pem.hasSuffix("\n") ? key.pem : key.pem + "\n", mode: privateKeyMode)
    }

    /// The PEM entry for one or more certificates in order (mode 0644).
    public static func certificateEntry(_ certificates: [Certificate], path: String) throws -> Entry {
        var text = ""
        for certificate in certificates {
            text += try certificate.serializeAsPEM().pemString + "\n"
        }
        return Entry(path: path, text: text, mode: certificateMode)
    }

    public static func writeCertificates(_ certificates: [Certificate], to path: String) throws {
        try writeAtomically([certificateEntry(certificates, path: path)])
    }

    /// Writes every entry atomically, all staged before any replaces its file.
    public static func writeAtomically(_ entries: [Entry]) throws {
        var staged: [(temporary: String, final: String)] = []
        do {
            for entry in entries {
                staged.append((try stage(entry), entry.path))
            }
        } catch {
            for file in staged { unlink(file.temporary) }
            throw error
        }
        var directories: [String] = []
        for file in staged {
            guard rename(file.temporary, file.final) == 0 else {
                let reason = errnoText()
                for leftover in staged { unlink(leftover.temporary) }
                throw PKIError.fileSystem("cannot replace \(file.final): \(reason)")
            }
            let directory = parentDirectory(of: file.final)
            if !directories.contains(directory) { directories.append(directory) }
        }
        for directory in directories { fsyncDirectory(directory) }
    }

    private static func stage(_ entry: Entry) throws -> String {
        let temporary = "\(entry.path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, entry.mode)
        guard fd >= 0 else { throw PKIError.fileSystem("cannot create \(temporary): \(errnoText())") }
        var closed = false
        defer { if !closed { close(fd) } }
        // open() applies the umask, which can only remove bits; fchmod sets the mode exactly.
        guard fchmod(fd, entry.mode) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw PKIError.fileSystem("cannot set the mode of \(temporary): \(reason)")
        }
        let bytes = entry.bytes ?? Array(entry.text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let reason = errnoText()
                unlink(temporary)
                throw PKIError.fileSystem("cannot write \(entry.path): \(reason)")
            }
            offset += written
        }
        closed = true
        guard fsync(fd) == 0, close(fd) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw PKIError.fileSystem("cannot write \(entry.path): \(reason)")
        }
        return temporary
    }

    private static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Reads a whole (small) text file.
    public static func readText(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PKIError.fileSystem("cannot read \(path): \(errnoText())") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw PKIError.fileSystem("cannot read \(path): \(errnoText())") }
            if count == 0 { break }
            bytes += chunk[0..<count]
            // PEM certificates and keys are a few kilobytes; anything huge is not one.
            guard bytes.count <= 1 << 20 else { throw PKIError.invalidMaterial("\(path) is over 1 MiB; not a PEM file") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The PEM blocks of `text`; at least one, else the error names the block expected.
    static func pemDocuments(_ text: String, what: String, expected: String) throws -> [PEMDocument] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw PKIError.invalidMaterial("\(what) is not a PEM file")
        }
        guard !documents.isEmpty else {
            throw PKIError.invalidMaterial("\(what) is not a PEM file: it has no -----BEGIN \(expected)----- block")
        }
        return documents
    }

    /// Reads the certificates in a PEM file, in order, refusing MD5/SHA-1 signatures and weak keys.
    public static func readCertificates(_ path: String) throws -> [Certificate] {
        try parseCertificates(try readText(path), what: path)
    }

    /// Parses PEM certificates, refusing MD5/SHA-1 signatures and weak keys with the reason.
    public static func parseCertificates(_ text: String, what: String = "the certificate") throws -> [Certificate] {
        let documents = try pemDocuments(text, what: what, expected: "CERTIFICATE")
        return try documents.enumerated().map { index, document in
            let name = documents.count == 1 ? what : "certificate \(index + 1) in \(what)"
            guard document.discriminator == "CERTIFICATE" else {
                throw PKIError.invalidMaterial("\(name) is a \"\(document.discriminator)\" PEM block, not a CERTIFICATE")
            }
            return try StrengthPolicy.loadCertificate(der: document.derBytes, what: name)
        }
    }

    /// Reads a private key PEM file, refusing weak keys with the reason.
    public static func readPrivateKey(_ path: String) throws -> SigningKey {
        try SigningKey(pemEncoded: try readText(path), what: path)
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
