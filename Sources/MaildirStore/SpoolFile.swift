#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The temporary file that holds a message while it arrives, and where it is in its life.
/// Every failure removes the file at once: no descriptor stays open, nothing waits in `tmp/`
/// for the 36-hour sweep, and nothing after it can deliver what is left of the message.
struct SpoolFile {
    enum State {
        /// Nothing on disk yet: the trace headers wait to be written before the first content.
        case notCreated(header: String)
        case open(descriptor: Int32)
        /// Written, synced and closed: ready to be linked into new/.
        case complete
        /// A write, the sync or the delivery failed; the file is gone and stays gone.
        case failed(any Error)
        /// Delivered or discarded; the file is gone.
        case finished
    }

    let path: String
    let maildir: String
    private(set) var state: State
    private(set) var size = 0
    private(set) var lineFeeds = 0
    /// Octets of the trace headers at the start of the file, once it is created.
    private var headerLength = 0

    init(path: String, maildir: String, header: String) {
        self.path = path
        self.maildir = maildir
        self.state = .notCreated(header: header)
    }

    /// Size with CRLF line ends, what POP3 and IMAP report (Dovecot's W=).
    var virtualSize: Int { size + lineFeeds }

    mutating func append(_ content: ByteBuffer) throws {
        do {
            try content.withUnsafeReadableBytes { bytes in
                switch state {
                case .open(let descriptor):
                    try writeCounting(bytes, to: descriptor)
                case .notCreated(let header):
                    // A new file: the trace headers and the first content go in one write.
                    let descriptor = try createFile()
                    state = .open(descriptor: descriptor)
                    let headerBytes = Array(header.utf8)
                    headerLength = headerBytes.count
                    try headerBytes.withUnsafeBytes { try writeCounting($0, then: bytes, to: descriptor) }
                case .complete, .failed, .finished:
                    throw unusable()
                }
            }
        } catch {
            fail(error)
            throw error
        }
    }

    /// Adds header fields known only at the end of the content (Authentication-Results): below
    /// the Return-Path line, above everything else. Before the file exists this only changes
    /// the header still to be written; after a spill the file is rewritten with the fields in
    /// place (a copy: only messages larger than the spill threshold pay it).
    mutating func insertHeaderFields(_ fields: String) throws {
        guard !fields.isEmpty else { return }
        switch state {
        case .notCreated(let header):
            state = .notCreated(header: Self.splice(fields, into: header))
        case .open(let descriptor):
            do {
                try rewrite(descriptor, inserting: fields)
            } catch {
                fail(error)
                throw error
            }
        case .complete, .failed, .finished:
            throw unusable()
        }
    }

    /// The trace headers with `fields` after the Return-Path line (RFC 5321 §4.4: Return-Path
    /// is the first line of a delivered message; the outbound client drops it when relaying).
    static func splice(_ fields: String, into header: String) -> String {
        guard header.hasPrefix("Return-Path:"), let lineEnd = header.firstIndex(of: "\n") else { return fields + header }
        let afterReturnPath = header.index(after: lineEnd)
        return String(header[..<afterReturnPath]) + fields + String(header[afterReturnPath...])
    }

    private mutating func rewrite(_ old: Int32, inserting fields: String) throws {
        let newPath = "\(path).rewrite"
        // The spool file is open for writing only: read it through a descriptor of its own.
        let reader = open(path, O_RDONLY | O_CLOEXEC)
        try POSIX.check(reader, "open", path)
        defer { close(reader) }
        let descriptor = try POSIX.openNewFile(newPath)
        var written = false
        defer { if !written { close(descriptor); unlink(newPath) } }
        // The trace headers are at the start of the old file: read them back, splice, write.
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes { try POSIX.readAll(reader, into: $0, at: 0, path: path) }
        let spliced = Array(Self.splice(fields, into: String(decoding: header, as: UTF8.self)).utf8)
        try spliced.withUnsafeBytes { try POSIX.writeAll(descriptor, $0, path: newPath) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset = headerLength
        while true {
            let count = try buffer.withUnsafeMutableBytes { try POSIX.read(reader, into: $0, at: offset, path: path) }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try POSIX.writeAll(descriptor, UnsafeRawBufferPointer(rebasing: $0[0..<count]), path: newPath) }
            offset += count
        }
        try POSIX.check(rename(newPath, path), "rename", path)
        written = true
        close(old)
        state = .open(descriptor: descriptor)
        let added = fields.utf8
        size += added.count
        lineFeeds += added.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        headerLength = spliced.count
    }

    /// Makes the content durable and closes the file.
    mutating func sync() throws {
        guard case .open(let descriptor) = state else { throw unusable() }
        do {
            try POSIX.syncFile(descriptor, path: path)
        } catch {
            fail(error)
            throw error
        }
        close(descriptor)
        state = .complete
    }

    /// Closes and removes the file, if there is one. Idempotent.
    mutating func remove() {
        switch state {
        case .open(let descriptor):
            close(descriptor)
            unlink(path)
        case .complete:
            unlink(path)
        case .notCreated, .finished, .failed:
            break
        }
        if case .failed = state { return }
        state = .finished
    }

    /// The synced file was renamed into its only destination: nothing is left to remove.
    mutating func moved() {
        guard case .complete = state else { return remove() }
        state = .finished
    }

    /// Removes the file and remembers why, so that later writes and the commit fail too.
    mutating func fail(_ error: any Error) {
        if case .failed = state { return }
        remove()
        state = .failed(error)
    }

    /// Creates the file in tmp/. A Maildir that does not exist yet (a new user's first message)
    /// is made when the open says so: everyone else's messages cost no stat.
    private func createFile() throws -> Int32 {
        do {
            return try POSIX.openNewFile(path)
        } catch where error.code == ENOENT {
            try MaildirStore.createMaildir(at: maildir)
            return try POSIX.openNewFile(path)
        }
    }

    /// Why the file takes no more writes: its earlier failure, or that the message is done.
    private func unusable() -> any Error {
        if case .failed(let error) = state { return error }
        return MessageAlreadyFinished()
    }

    private mutating func writeCounting(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) throws {
        guard !bytes.isEmpty else { return }
        try POSIX.writeAll(descriptor, bytes, path: path)
        count(bytes)
    }

    private mutating func writeCounting(_ first: UnsafeRawBufferPointer, then second: UnsafeRawBufferPointer,
                                        to descriptor: Int32) throws {
        try POSIX.writeAll(descriptor, first, second, path: path)
        count(first)
        count(second)
    }

    private mutating func count(_ bytes: UnsafeRawBufferPointer) {
        size += bytes.count
        var count = 0
        for byte in bytes where byte == UInt8(ascii: "\n") { count += 1 }
        lineFeeds += count
    }
}
