#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maildir files keep lines ending in LF (as Dovecot and Tsubame's delivery write them); IMAP
/// serves and counts them with CRLF (RFC 3501 §2.3.4 RFC822.SIZE, §6.4.5 partial offsets).
public enum MessageLines {
    /// Every bare LF becomes CRLF; an existing CRLF stays; a bare CR stays as it is.
    public static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress, !input.isEmpty else { return [] }
            var output: [UInt8] = []
            output.reserveCapacity(input.count + input.count / 32 + 2)
            // Line by line with memchr, each line copied whole: a FETCH ENVELOPE of a large
            // folder converts every message.
            var start = 0
            while start < input.count,
                  let found = memchr(base + start, 0x0A, input.count - start) {
                let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                output.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<newline]))
                if newline == 0 || input[newline - 1] != 0x0D { output.append(0x0D) }
                output.append(0x0A)
                start = newline + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: input[start...]))
            return output
        }
    }

    /// CRLF becomes LF (APPEND's data, stored as delivery stores it).
    public static func lf(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A {
                index += 1
                continue
            }
            output.append(byte)
            index += 1
        }
        return output
    }
}
