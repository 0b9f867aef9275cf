#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// A queued message file read in pieces on NIO's thread pool, never on an event loop or
/// Swift's cooperative threads (a read from a slow disk blocks its thread).
final class ContentFile: Sendable {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    private let descriptor: CInt
    private let threads: NIOThreadPool

    private init(descriptor: CInt, threads: NIOThreadPool) {
        self.descriptor = descriptor
        self.threads = threads
    }

    /// A piece of the file; `isLast` once the read that made it met the end of the file.
    struct Piece: Sendable {
        var bytes: ByteBuffer
        var isLast: Bool
    }

    /// Opens the file and reads its first piece in the same trip to the thread pool: a queued
    /// message usually fits in one piece, so it is sent without going back for the rest.
    static func open(_ path: String, omittingReturnPath: Bool = false, firstPieceUpTo count: Int,
                     allocator: ByteBufferAllocator, threads: NIOThreadPool = .singleton) async throws
        -> (file: ContentFile, first: Piece) {
        let (descriptor, first) = try await threads.runIfActive { () throws -> (CInt, Piece) in
            let descriptor = systemOpen(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ReadError(description: "\(path): \(String(cString: strerror(errno)))") }
            do {
                if omittingReturnPath {
                    let start = returnPathLength(descriptor)
                    guard lseek(descriptor, off_t(start), SEEK_SET) == off_t(start) else {
                        throw ReadError(description: "\(path): \(String(cString: strerror(errno)))")
                    }
                }
                return (descriptor, try readPiece(descriptor, upTo: count, allocator: allocator))
            } catch {
                _ = systemClose(descriptor)
                throw error
            }
        }
        return (ContentFile(descriptor: descriptor, threads: threads), first)
    }

    /// Up to `count` octets from where the last read stopped.
    func read(upTo count: Int, allocator: ByteBufferAllocator) async throws -> Piece {
        let descriptor = descriptor
        return try await threads.runIfActive { try Self.readPiece(descriptor, upTo: count, allocator: allocator) }
    }

    /// Reads until `count` octets are in or a read returns 0 (the end: then `isLast`). A short
    /// read alone is not taken for the end, so a file is never cut short.
    private static func readPiece(_ descriptor: CInt, upTo count: Int, allocator: ByteBufferAllocator) throws -> Piece {
        var buffer = allocator.buffer(capacity: count)
        while buffer.readableBytes < count {
            var failure: CInt = 0
            let wanted = count - buffer.readableBytes
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer in
                let result = systemRead(descriptor, pointer.baseAddress, wanted)
                if result < 0 { failure = errno }
                return max(result, 0)
            }
            if failure == EINTR { continue }
            if failure != 0 { throw ReadError(description: String(cString: strerror(failure))) }
            if got == 0 { return Piece(bytes: buffer, isLast: true) }
        }
        return Piece(bytes: buffer, isLast: false)
    }

    func close() {
        _ = systemClose(descriptor)
    }
}

/// The octets of a leading `Return-Path:` field (with any folded lines), or 0.
private func returnPathLength(_ descriptor: CInt) -> Int {
    var head = [UInt8](repeating: 0, count: 2048)
    let count = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
    guard count > 0 else { return 0 }
    let bytes = head[..<count]
    let name = Array("return-path:".utf8)
    guard bytes.count > name.count,
          zip(bytes.prefix(name.count), name).allSatisfy({ ($0 | 0x20) == $1 || $0 == $1 }) else { return 0 }
    var index = bytes.startIndex
    while let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) {
        let next = newline + 1
        // A line starting with white space continues the field (RFC 5322 §2.2.3).
        guard next < bytes.endIndex, bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t") else {
            return next
        }
        index = next
    }
    return 0  // a field longer than what was read: send the file as it is
}

// The C calls under names of their own: inside `ContentFile`, `open`, `read` and `close` are its methods.
private func systemOpen(_ path: String, _ flags: CInt) -> CInt { open(path, flags) }
private func systemRead(_ descriptor: CInt, _ pointer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, pointer, count)
}
private func systemClose(_ descriptor: CInt) -> CInt { close(descriptor) }
