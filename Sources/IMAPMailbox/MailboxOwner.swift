#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPStore
import NIOConcurrencyHelpers

/// One message as the owner knows it: no content, a few short fields.
struct OwnedMessage: Sendable {
    var uid: UInt32
    /// "new/NAME" or "cur/NAME", relative to the folder.
    var location: String
    var flags: MaildirFlags
    /// Raised at every flag change (RFC 7162's MODSEQ, kept for CONDSTORE later).
    var modSeq: UInt64
    /// RFC822.SIZE from W= in the name, when it has one.
    var size: Int?
}

/// The mtimes of new/ and cur/: when they differ from the last sync point, something outside
/// the process (Dovecot, a shell) changed the folder.
struct DirectoryStamps: Equatable, Sendable {
    var new: timespec
    var cur: timespec

    static func == (left: DirectoryStamps, right: DirectoryStamps) -> Bool {
        left.new.tv_sec == right.new.tv_sec && left.new.tv_nsec == right.new.tv_nsec
            && left.cur.tv_sec == right.cur.tv_sec && left.cur.tv_nsec == right.cur.tv_nsec
    }

    static func read(folder: String) -> DirectoryStamps? {
        var newInfo = stat(), curInfo = stat()
        guard stat("\(folder)/new", &newInfo) == 0, stat("\(folder)/cur", &curInfo) == 0 else { return nil }
        return DirectoryStamps(new: newInfo.st_mtim, cur: curInfo.st_mtim)
    }
}

/// The state an owner guards with its lock.
struct OwnerState {
    var messages: [OwnedMessage] = []
    var uidValidity: UInt32 = 0
    var nextUID: UInt32 = 1
    var keywords = MaildirKeywords()
    var highestModSeq: UInt64 = 1
    /// Bumped at every change of any kind (flags, arrivals, expunges): a session whose counter
    /// equals it has nothing to hear.
    var changeCounter: UInt64 = 0
    /// RFC 3501 §2.3.2: messages with UIDs from here on are \Recent to the next session that
    /// selects the folder read-write (or notices them while it has it selected read-write).
    var recentBoundary: UInt32 = 1
    var loaded = false
    /// Set by `noteChange` or a file found missing: the next sync point rescans.
    var dirty = true
    var stamps: DirectoryStamps?
    /// Internal dates read so far (one stat each, or from the cache).
    var internalDates: [UInt32: Int] = [:]
    /// Dates read by stat and not yet in the cache.
    var unsavedDates: [(uid: UInt32, seconds: Int)] = []

    func index(of uid: UInt32) -> Int? {
        let at = lowerBound(uid)
        return at < messages.count && messages[at].uid == uid ? at : nil
    }

    /// Calls `body` with (index in `uids`, index in `messages`) for each of the ascending
    /// `uids` the owner still has: one walk of both lists, no lookup per message.
    func forEachPresent(_ uids: [UInt32], _ body: (Int, Int) -> Void) {
        var at = 0
        for (index, uid) in uids.enumerated() {
            while at < messages.count, messages[at].uid < uid { at += 1 }
            if at == messages.count { return }
            if messages[at].uid == uid { body(index, at) }
        }
    }

    /// The first index at or after `start` whose UID is at least `uid`: a few steps forward
    /// when the caller walks ascending UIDs, a binary search when it jumps.
    func lowerBound(_ uid: UInt32, from start: Int) -> Int {
        var at = start
        for _ in 0..<8 {
            if at >= messages.count || messages[at].uid >= uid { return at }
            at += 1
        }
        var low = at, high = messages.count
        while low < high {
            let middle = (low + high) / 2
            if messages[middle].uid < uid { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The first index whose UID is at least `uid`.
    func lowerBound(_ uid: UInt32) -> Int { lowerBound(uid, from: 0) }
}

/// One open folder in the process: its UID map, flags, MODSEQs and change counter, shared by
/// every session that has it selected and by delivery. Every state change happens under
/// `lock`; file operations that must not interleave (renames, expunges, appends) happen under
/// it too, so two sessions never rename one file at once.
final class MailboxOwner: @unchecked Sendable {
    let name: MailboxName
    let mailbox: MaildirMailbox
    let cache: MailboxCache?
    private let lock = NIOLock()
    private var state = OwnerState()
    private var watchers: [ObjectIdentifier: @Sendable () -> Void] = [:]

    init(name: MailboxName, mailbox: MaildirMailbox, cache: MailboxCache?) {
        self.name = name
        self.mailbox = mailbox
        self.cache = cache
    }

    var path: String { mailbox.path }

    /// Runs `body` with the state under the lock, after a sync point: a rescan when the folder
    /// changed behind our back or was marked dirty.
    func withSynchronizedState<T>(_ body: (inout OwnerState) throws -> T) throws -> T {
        let result: T
        let changed: Bool
        (result, changed) = try lock.withLock {
            let before = state.changeCounter
            try refreshLocked()
            let result = try body(&state)
            return (result, state.changeCounter != before)
        }
        if changed { wakeWatchers() }
        return result
    }

    /// Runs `body` under the lock without a sync point (the caller just had one).
    func withState<T>(_ body: (inout OwnerState) throws -> T) rethrows -> T {
        let (result, changed) = try lock.withLock {
            let before = state.changeCounter
            let result = try body(&state)
            return (result, state.changeCounter != before)
        }
        if changed { wakeWatchers() }
        return result
    }

    func markDirty() {
        lock.withLock { state.dirty = true }
        wakeWatchers()
    }

    // MARK: Watchers

    func watch(_ key: ObjectIdentifier, _ wake: @escaping @Sendable () -> Void) {
        lock.withLock { watchers[key] = wake }
    }

    func unwatch(_ key: ObjectIdentifier) {
        _ = lock.withLock { watchers.removeValue(forKey: key) }
    }

    /// Each registration fires once (the session registers again when it next waits).
    private func wakeWatchers() {
        let all: [@Sendable () -> Void] = lock.withLock {
            defer { watchers = [:] }
            return Array(watchers.values)
        }
        for wake in all { wake() }
    }

    // MARK: Sync points

    /// Rescans when the folder was never read, was marked dirty, or its directories' mtimes
    /// moved since our last look. The stamps are taken before the scan, so a change during
    /// the scan is seen at the next sync point.
    private func refreshLocked() throws {
        let stamps = DirectoryStamps.read(folder: path)
        // A deleted folder must not come back because synchronize() makes its directories.
        if stamps == nil, !name.isInbox, state.loaded || !pathExists(path) { throw SelectedMailboxGone() }
        if state.loaded, !state.dirty, let stamps, stamps == state.stamps { return }
        let snapshot = try mailbox.synchronize()
        state.stamps = stamps ?? DirectoryStamps.read(folder: path)
        state.dirty = false
        state.keywords = (try? MaildirKeywords.read(folder: path)) ?? state.keywords
        merge(snapshot)
    }

    /// Folds a scan into the state: known UIDs keep their MODSEQ unless their flags changed;
    /// new ones are added; vanished ones are expunged.
    private func merge(_ snapshot: UIDListSnapshot) {
        if !state.loaded || snapshot.uidValidity != state.uidValidity {
            let cached = cache?.folder(path: path, uidValidity: snapshot.uidValidity)
            state.uidValidity = snapshot.uidValidity
            state.highestModSeq = max(cached?.highestModSeq ?? 1, 1)
            state.recentBoundary = cached?.recentBoundary ?? 1
            state.internalDates = cache?.internalDates(path: path) ?? [:]
            state.unsavedDates = []
            let modSeqs = cache?.modSeqs(path: path) ?? [:]
            state.messages = snapshot.messages.map { message in
                OwnedMessage(uid: message.uid, location: message.location, flags: message.flags,
                             modSeq: modSeqs[message.uid] ?? state.highestModSeq, size: message.virtualSize)
            }
            state.nextUID = snapshot.nextUID
            state.loaded = true
            state.changeCounter &+= 1
            return
        }
        var merged: [OwnedMessage] = []
        merged.reserveCapacity(snapshot.messages.count)
        var changed = false
        var old = 0
        for message in snapshot.messages {
            while old < state.messages.count, state.messages[old].uid < message.uid {
                old += 1
                changed = true  // expunged behind our back
            }
            if old < state.messages.count, state.messages[old].uid == message.uid {
                var known = state.messages[old]
                known.location = message.location
                if known.flags != message.flags {
                    known.flags = message.flags
                    state.highestModSeq += 1
                    known.modSeq = state.highestModSeq
                    changed = true
                }
                merged.append(known)
                old += 1
            } else {
                state.highestModSeq += 1
                merged.append(OwnedMessage(uid: message.uid, location: message.location, flags: message.flags,
                                           modSeq: state.highestModSeq, size: message.virtualSize))
                changed = true
            }
        }
        if old < state.messages.count { changed = true }
        state.messages = merged
        state.nextUID = max(state.nextUID, snapshot.nextUID)
        if changed { state.changeCounter &+= 1 }
    }

    // MARK: Delivery

    /// Messages delivered by this process with UIDs already in the uidlist: added without a
    /// scan. A UID not above the known ones means we missed something: rescan instead.
    func noteDelivery(fileNames: [String], uids: [UInt32]) {
        let woke: Bool = lock.withLock {
            guard state.loaded else { return false }
            let before = state.stamps
            for (name, uid) in zip(fileNames, uids) {
                guard uid > (state.messages.last?.uid ?? 0) else {
                    if state.index(of: uid) == nil { state.dirty = true }
                    continue
                }
                state.highestModSeq += 1
                state.messages.append(OwnedMessage(uid: uid, location: "new/" + name, flags: MaildirFlags(fileName: name),
                                                   modSeq: state.highestModSeq,
                                                   size: DeliveryOrderSize.virtualSize(of: name)))
                state.nextUID = max(state.nextUID, uid + 1)
            }
            state.changeCounter &+= 1
            // Delivery only adds to new/: the mtime moved because of it.
            if let before, let now = DirectoryStamps.read(folder: path) {
                state.stamps = DirectoryStamps(new: now.new, cur: before.cur)
            }
            return true
        }
        if woke { wakeWatchers() }
    }

    /// INTERNALDATE: the file's mtime, read once (or taken from the cache).
    func internalDate(uid: UInt32, location: String) -> Int {
        if let known = lock.withLock({ state.internalDates[uid] }) { return known }
        var info = stat()
        let seconds = stat("\(path)/\(location)", &info) == 0 ? Int(info.st_mtim.tv_sec) : 0
        let flush: [(uid: UInt32, seconds: Int)] = lock.withLock {
            state.internalDates[uid] = seconds
            state.unsavedDates.append((uid, seconds))
            guard state.unsavedDates.count >= 1_024 else { return [] }
            defer { state.unsavedDates = [] }
            return state.unsavedDates
        }
        cache?.saveInternalDates(path: path, flush)
        return seconds
    }

    /// Writes the dates read since the last flush to the cache (at the end of a FETCH).
    func flushInternalDates() {
        let flush: [(uid: UInt32, seconds: Int)] = lock.withLock {
            defer { state.unsavedDates = [] }
            return state.unsavedDates
        }
        cache?.saveInternalDates(path: path, flush)
    }
}

func pathExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

/// W= (or S=) in a Maildir file name.
enum DeliveryOrderSize {
    static func virtualSize(of name: String) -> Int? {
        let stem = MaildirFlags.stem(of: name)
        for field in stem.split(separator: ",").dropFirst() where field.hasPrefix("W=") {
            return Int(field.dropFirst(2))
        }
        return nil
    }
}
