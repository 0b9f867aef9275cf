#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// What this process knows of the uidlists it appends to at delivery: per file (device,
/// inode) the size it had after our last read or append, its next UID and the UID of every
/// file stem listed. A delivery then reads only what others appended since (Dovecot, an IMAP
/// sync), not the whole file: a 100,000-message INBOX would otherwise be parsed again for each
/// message that arrives. Any doubt (another inode: the file was rewritten; a shorter file; a
/// line that does not parse) means a full read, as before.
///
/// Bounded: at most `capacity` stems in all; the folders used longest ago go first.
final class DeliveryUIDLists: Sendable {
    static let shared = DeliveryUIDLists()
    static let capacity = 250_000

    struct Known {
        var device: UInt64
        var inode: UInt64
        var size: Int
        var nextUID: UInt32
        var stems: [String: UInt32]
        var lastUse: UInt64 = 0
    }

    private struct State {
        var files: [String: Known] = [:]
        var clock: UInt64 = 0
        var stems = 0
    }

    private let state = Mutex(State())

    /// The entry for `path` if it still describes the file `info` (same inode, not shorter).
    func take(_ path: String, matching info: stat) -> Known? {
        state.withLock { state in
            guard let known = state.files.removeValue(forKey: path) else { return nil }
            state.stems -= known.stems.count
            guard known.device == UInt64(info.st_dev), known.inode == UInt64(info.st_ino), Int(info.st_size) >= known.size else {
                return nil
            }
            return known
        }
    }

    func keep(_ path: String, _ known: Known) {
        state.withLock { state in
            var known = known
            state.clock += 1
            known.lastUse = state.clock
            if let old = state.files.updateValue(known, forKey: path) { state.stems -= old.stems.count }
            state.stems += known.stems.count
            while state.stems > Self.capacity, state.files.count > 1,
                  let oldest = state.files.min(by: { $0.value.lastUse < $1.value.lastUse }), oldest.key != path {
                state.files[oldest.key] = nil
                state.stems -= oldest.value.stems.count
            }
        }
    }

    func forget(_ path: String) {
        state.withLock { state in
            if let old = state.files.removeValue(forKey: path) { state.stems -= old.stems.count }
        }
    }
}
