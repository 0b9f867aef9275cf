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

    static func open(_ path: String, threads: NIOThreadPool = .singleton) async throws -> ContentFile {
        let descriptor = try await threads.runIfActive { () throws -> CInt in
            let descriptor = systemOpen(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ReadError(description: "\(path): \(String(cString: strerror(errno)))") }
            return descriptor
        }
        return ContentFile(descriptor: descriptor, threads: threads)
    }

    /// Up to `count` octets from where the last read stopped; empty at the end of the file.
    func read(upTo count: Int, allocator: ByteBufferAllocator) async throws -> ByteBuffer {
        let descriptor = descriptor
        return try await threads.runIfActive { () throws -> ByteBuffer in
            var buffer = allocator.buffer(capacity: count)
            while true {
                var failure: CInt = 0
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
                    let result = systemRead(descriptor, pointer.baseAddress, count)
                    if result < 0 { failure = errno }
                    return max(result, 0)
                }
                if failure == 0 { return buffer }
                if failure != EINTR { throw ReadError(description: String(cString: strerror(failure))) }
            }
        }
    }

    func close() {
        _ = systemClose(descriptor)
    }
}

// The C calls under names of their own: inside `ContentFile`, `open`, `read` and `close` are its methods.
private func systemOpen(_ path: String, _ flags: CInt) -> CInt { open(path, flags) }
private func systemRead(_ descriptor: CInt, _ pointer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, pointer, count)
}
private func systemClose(_ descriptor: CInt) -> CInt { close(descriptor) }
