import Crypto

/// The two canonicalization algorithms (RFC 6376 §3.4).
enum DKIMCanonicalization: String, Sendable, Hashable {
    case simple, relaxed
}

/// Which body hash a signature needs: its body canonicalization and its l= (RFC 6376 §3.5).
struct BodyHashKey: Sendable, Hashable {
    var canonicalization: DKIMCanonicalization
    var limit: Int?
}

/// A finished body hash.
struct BodyHash: Sendable, Equatable {
    var digest: [UInt8]
    /// Octets hashed (at most l=).
    var hashedLength: Int
    /// Octets of the whole canonicalized body, for the "l= covers N of M" note.
    var canonicalLength: Int
}

/// Canonicalizes and hashes a body fed in line fragments and line ends (RFC 6376 §3.4.3,
/// §3.4.4), without keeping the body: trailing empty lines are counted, not buffered, and only
/// written out when a line with content follows them. Output is staged in one buffer and given
/// to SHA-256 in large pieces.
struct BodyHasher: Sendable {
    let key: BodyHashKey
    private var sha = SendableSHA256()
    private var staged: [UInt8] = []
    private var hashedLength = 0
    private var canonicalLength = 0
    /// Empty lines seen since the last line with content: dropped if the body ends here
    /// (§3.4.3, §3.4.4 "ignore all empty lines at the end").
    private var pendingEmptyLines = 0
    /// The current line has produced output.
    private var lineHasContent = false
    /// Relaxed: whitespace seen since the last content byte of this line (§3.4.4 "reduce all
    /// sequences of WSP within a line to a single SP", and drop it at the end of a line).
    private var pendingSpace = false

    private static let stageSize = 16 * 1024

    init(_ key: BodyHashKey) {
        self.key = key
        staged.reserveCapacity(Self.stageSize)
    }

    /// Part of a line, without its line end.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        switch key.canonicalization {
        case .simple:
            beginContent()
            emit(bytes)
        case .relaxed:
            var index = 0
            let count = bytes.count
            while index < count {
                if bytes[index] == 0x20 || bytes[index] == 0x09 {
                    pendingSpace = true
                    index += 1
                    continue
                }
                // The longest stretch that needs no change: it may hold single spaces between
                // words, so ordinary text goes to the hash in whole lines, not word by word.
                var end = index + 1
                while end < count {
                    let byte = bytes[end]
                    if byte == 0x09 { break }
                    if byte == 0x20 {
                        guard end + 1 < count, bytes[end + 1] != 0x20, bytes[end + 1] != 0x09 else { break }
                        end += 2
                        continue
                    }
                    end += 1
                }
                beginContent()
                emit(UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
                index = end
            }
        }
    }

    /// The end of a line (LF in the local form, CRLF once canonicalized).
    mutating func endLine() {
        pendingSpace = false
        if lineHasContent {
            emitCRLF()
            lineHasContent = false
        } else {
            pendingEmptyLines += 1
        }
    }

    mutating func finish() -> BodyHash {
        switch key.canonicalization {
        case .simple:
            // §3.4.3: a body not ending in CRLF gets one; an empty body is one CRLF.
            if lineHasContent { emitCRLF() }
            if canonicalLength == 0 { emitCRLF() }
        case .relaxed:
            // A last line without a line end: its trailing whitespace is kept as one SP, as
            // dkimpy does (there is no "end of line" to strip it at), then a CRLF is added.
            // An empty body stays empty (RFC 6376 erratum 1384: relaxed empty body is "").
            if pendingSpace {
                beginContent()
            }
            if lineHasContent { emitCRLF() }
        }
        lineHasContent = false
        flush()
        return BodyHash(digest: Array(sha.value.finalize()), hashedLength: hashedLength, canonicalLength: canonicalLength)
    }

    private mutating func beginContent() {
        while pendingEmptyLines > 0 {
            emitCRLF()
            pendingEmptyLines -= 1
        }
        if pendingSpace {
            pendingSpace = false
            emitByte(0x20)
        }
        lineHasContent = true
    }

    private mutating func emitCRLF() {
        emitByte(0x0D)
        emitByte(0x0A)
    }

    private mutating func emitByte(_ byte: UInt8) {
        canonicalLength += 1
        if let limit = key.limit, hashedLength >= limit { return }
        hashedLength += 1
        staged.append(byte)
        if staged.count >= Self.stageSize { flush() }
    }

    private mutating func emit(_ bytes: UnsafeRawBufferPointer) {
        canonicalLength += bytes.count
        var take = bytes.count
        if let limit = key.limit { take = min(take, limit - hashedLength) }
        guard take > 0 else { return }
        hashedLength += take
        let piece = UnsafeRawBufferPointer(rebasing: bytes[0..<take])
        if staged.count + take > Self.stageSize {
            flush()
        }
        if take >= Self.stageSize {
            sha.value.update(bufferPointer: piece)
        } else {
            staged.append(contentsOf: piece)
        }
    }

    private mutating func flush() {
        guard !staged.isEmpty else { return }
        staged.withUnsafeBytes { sha.value.update(bufferPointer: $0) }
        staged.removeAll(keepingCapacity: true)
    }
}

/// swift-crypto's SHA256 is a value type (copy-on-write over its context) that is not marked
/// Sendable; a hasher is only ever mutated by its one owner, so sending the owner is safe.
struct SendableSHA256: @unchecked Sendable {
    var value = SHA256()
}
