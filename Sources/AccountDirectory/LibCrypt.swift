import CCrypt
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Thin, reentrant wrappers around libxcrypt.
///
/// Only the `_rn` variants are used: they keep all state in caller-supplied
/// memory, so hashing is safe from many threads at once (plain `crypt` uses a
/// static buffer).
enum LibCrypt {
    /// A fresh setting ("$y$j9T$<salt>") for `prefix`, salted from the OS
    /// random source; count 0 selects libcrypt's default cost.
    static func makeSetting(prefix: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        return try buffer.withUnsafeMutableBufferPointer { output in
            // nil random bytes: libcrypt reads them from the OS itself.
            guard let setting = crypt_gensalt_rn(prefix, 0, nil, 0, output.baseAddress, Int32(output.count)) else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
            }
            return String(cString: setting)
        }
    }

    /// The full crypt string for `phrase` under `setting`, or nil when libcrypt
    /// refuses (unknown method, malformed setting, phrase too long).
    static func hash(_ phrase: String, setting: String) -> String? {
        // struct crypt_data is 32 KiB: too big for the stack of a NIO thread,
        // so it lives on the heap. It must start zeroed.
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer {
            // The scratch area held password-derived state; wipe it in a way
            // the optimiser may not drop.
            #if canImport(Glibc)
            explicit_bzero(data, size)
            #else
            data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            #endif
            data.deallocate()
        }
        guard let output = crypt_rn(phrase, setting, data, Int32(size)) else { return nil }
        let result = String(cString: output)
        // libcrypt signals some failures with a "*0"/"*1" token instead of nil.
        return result.hasPrefix("*") ? nil : result
    }
}
