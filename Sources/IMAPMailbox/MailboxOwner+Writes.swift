#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IMAPStore
import MaildirStore

/// Why a write to a folder was refused.
enum OwnerWriteError: Error, Equatable {
    /// All 26 keyword letters of `dovecot-keywords` are in use.
    case tooManyKeywords
    case failed(String)
}

/// A message file ready in tmp/ to become part of a folder (APPEND and its MULTIAPPEND form).
struct PreparedMessage {
    var temporaryPath: String
    var baseName: String
    var fileSize: Int
    var virtualSize: Int
    var system: SystemFlagSet
    var keywords: [String]
}

/// A message to copy: where it is and what it carries.
struct CopySource {
    var uid: UInt32
    var path: String
    var flags: MaildirFlags
    var keywordNames: [String]
}

extension MailboxOwner {
    /// The letters for keyword names, adding new ones to `dovecot-keywords` under the uidlist
    /// lock, as Dovecot does. Unknown flag extensions (`\Foo`) cannot be stored and are skipped.
    func keywordIndexes(_ names: [String], state: inout OwnerState) throws -> KeywordIndexSet {
        var indexes = KeywordIndexSet()
        var keywords = state.keywords
        var added = false
        for name in names {
            if let index = keywords.index(of: name) {
                indexes.insert(index)
            } else {
                guard let index = keywords.indexAdding(name) else { throw OwnerWriteError.tooManyKeywords }
                indexes.insert(index)
                added = true
            }
        }
        if added {
            let lock = try DotLock.acquire(path: mailbox.uidListPath, linkingFrom: mailbox.lockSource, wait: mailbox.lockWait)
            defer { lock.release() }
            // Another writer may have added keywords meanwhile: merge with the file's list.
            var onDisk = try MaildirKeywords.read(folder: path)
            indexes = []
            for name in names {
                guard let index = onDisk.indexAdding(name) else { throw OwnerWriteError.tooManyKeywords }
                indexes.insert(index)
            }
            try onDisk.write(folder: path)
            state.keywords = onDisk
            state.changeCounter &+= 1
        }
        return indexes
    }

    /// STORE (RFC 3501 §6.4.6) on the messages with `uids`: renames their files; returns the
    /// UIDs whose flags changed. A file gone meanwhile marks the folder for a rescan.
    func store(uids: [UInt32], operation: StoreOperation, system: SystemFlagSet,
               keywords: [String]) throws -> [UInt32] {
        try withSynchronizedState { state in
            let keywordSet = try keywordIndexes(keywords, state: &state)
            let stamps = DirectoryStamps.read(folder: path)
            var found: [UInt32] = []
            var saved: [(uid: UInt32, modSeq: UInt64)] = []
            for uid in uids {
                guard let index = state.index(of: uid) else { continue }
                var message = state.messages[index]
                var flags = message.flags
                switch operation {
                case .add:
                    flags.system.formUnion(system)
                    flags.keywords.formUnion(keywordSet)
                case .remove:
                    flags.system.subtract(system)
                    flags.keywords.subtract(keywordSet)
                case .replace:
                    // \P (passed) has no IMAP name: a replace keeps it, as Dovecot does.
                    flags.system = system.union(flags.system.intersection([.passed]))
                    flags.keywords = keywordSet
                }
                guard flags != message.flags else { continue }
                do {
                    message.location = try mailbox.setFlags(flags, location: message.location)
                } catch let error as StoreFileError where error.code == ENOENT {
                    state.dirty = true
                    continue
                }
                message.flags = flags
                state.highestModSeq += 1
                message.modSeq = state.highestModSeq
                state.messages[index] = message
                saved.append((uid, message.modSeq))
                found.append(uid)
            }
            if !saved.isEmpty {
                state.changeCounter &+= 1
                adoptStampsLocked(before: stamps, state: &state)
                cache?.saveModSeqs(path: path, saved)
                saveFolderRow(state)
            }
            return found
        }
    }

    /// EXPUNGE: removes the files of messages flagged \Deleted (only those in `uids` when
    /// given, RFC 4315 §2.1; MOVE removes `uids` whatever their flags); returns the UIDs
    /// removed, ascending.
    func expunge(uids: Set<UInt32>?, onlyDeleted: Bool = true) throws -> [UInt32] {
        try withSynchronizedState { state in
            let stamps = DirectoryStamps.read(folder: path)
            var removed: [UInt32] = []
            var kept: [OwnedMessage] = []
            kept.reserveCapacity(state.messages.count)
            for message in state.messages {
                guard !onlyDeleted || message.flags.system.contains(.deleted), uids?.contains(message.uid) ?? true else {
                    kept.append(message)
                    continue
                }
                if unlink("\(path)/\(message.location)") < 0, errno != ENOENT {
                    kept.append(message)
                    continue
                }
                removed.append(message.uid)
            }
            if !removed.isEmpty {
                state.messages = kept
                state.changeCounter &+= 1
                adoptStampsLocked(before: stamps, state: &state)
                cache?.removeMessages(path: path, uids: removed)
            }
            return removed
        }
    }

    /// Moves prepared files from tmp/ into new/ (no flags) or cur/ (with flags), fsyncs the
    /// directories, then gives them UIDs under the uidlist lock. All or nothing: a failure
    /// before the UIDs are assigned removes every file already placed (RFC 3502 §6.3.11).
    func add(_ prepared: [PreparedMessage]) throws -> [UInt32] {
        try withSynchronizedState { state in
            var placed: [(name: String, location: String, flags: MaildirFlags)] = []
            let stamps = DirectoryStamps.read(folder: path)
            do {
                for message in prepared {
                    let keywordSet = try keywordIndexes(message.keywords, state: &state)
                    let flags = MaildirFlags(system: message.system, keywords: keywordSet)
                    let stem = "\(message.baseName),S=\(message.fileSize),W=\(message.virtualSize)"
                    let hasFlags = !message.system.isEmpty || !keywordSet.isEmpty
                    let location = hasFlags ? "cur/" + flags.fileName(base: stem) : "new/" + stem
                    if rename(message.temporaryPath, "\(path)/\(location)") < 0 {
                        throw OwnerWriteError.failed("rename: \(String(cString: strerror(errno)))")
                    }
                    placed.append((String(location.dropFirst(4)), location, flags))
                }
                try syncDirectories()
            } catch {
                for file in placed { unlink("\(path)/\(file.location)") }
                throw error
            }
            let uids = try mailbox.assignUIDs(toDelivered: placed.map(\.name))
            guard uids.count == placed.count else { throw OwnerWriteError.failed("UID assignment") }
            appendLocked(placed: placed, uids: uids, state: &state)
            adoptStampsLocked(before: stamps, state: &state)
            return uids
        }
    }

    /// COPY's target side: hard links with new unique names (RFC 3501 §6.4.7: flags kept,
    /// \Recent set for the target). Returns the new UIDs in `sources` order.
    func addCopies(of sources: [CopySource], hostname: String) throws -> [UInt32] {
        try withSynchronizedState { state in
            var placed: [(name: String, location: String, flags: MaildirFlags)] = []
            let stamps = DirectoryStamps.read(folder: path)
            do {
                for source in sources {
                    let keywordSet = try keywordIndexes(source.keywordNames, state: &state)
                    let flags = MaildirFlags(system: source.flags.system, keywords: keywordSet)
                    let sourceStem = MaildirFlags.stem(of: String(source.path.split(separator: "/").last ?? ""))
                    let sizes = sourceStem.firstIndex(of: ",").map { String(sourceStem[$0...]) } ?? ""
                    let stem = MaildirName.make(hostname: hostname).base + sizes
                    let hasFlags = !flags.system.isEmpty || !flags.keywords.isEmpty
                    let location = hasFlags ? "cur/" + flags.fileName(base: stem) : "new/" + stem
                    if link(source.path, "\(path)/\(location)") < 0 {
                        throw OwnerWriteError.failed("link: \(String(cString: strerror(errno)))")
                    }
                    placed.append((String(location.dropFirst(4)), location, flags))
                }
                try syncDirectories()
            } catch {
                for file in placed { unlink("\(path)/\(file.location)") }
                throw error
            }
            let uids = try mailbox.assignUIDs(toDelivered: placed.map(\.name))
            guard uids.count == placed.count else { throw OwnerWriteError.failed("UID assignment") }
            appendLocked(placed: placed, uids: uids, state: &state)
            adoptStampsLocked(before: stamps, state: &state)
            return uids
        }
    }

    private func appendLocked(placed: [(name: String, location: String, flags: MaildirFlags)], uids: [UInt32],
                              state: inout OwnerState) {
        for (file, uid) in zip(placed, uids) {
            if state.index(of: uid) != nil { continue }
            state.highestModSeq += 1
            let message = OwnedMessage(uid: uid, location: file.location, flags: file.flags, modSeq: state.highestModSeq,
                                       size: DeliveryOrderSize.virtualSize(of: file.name))
            if uid > (state.messages.last?.uid ?? 0) {
                state.messages.append(message)
            } else {
                state.messages.insert(message, at: state.lowerBound(uid))
            }
            state.nextUID = max(state.nextUID, uid + 1)
        }
        state.changeCounter &+= 1
    }

    private func syncDirectories() throws {
        for directory in ["new", "cur"] {
            let descriptor = open("\(path)/\(directory)", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { throw OwnerWriteError.failed("open \(directory)") }
            defer { close(descriptor) }
            if fsync(descriptor) < 0 { throw OwnerWriteError.failed("fsync \(directory)") }
        }
    }

    func adoptStampsLocked(before: DirectoryStamps?, state: inout OwnerState) {
        guard let before, before == state.stamps else { return }
        state.stamps = DirectoryStamps.read(folder: path)
    }

    func saveFolderRow(_ state: OwnerState) {
        cache?.saveFolder(path: path, uidValidity: state.uidValidity,
                          row: MailboxCache.FolderRow(highestModSeq: state.highestModSeq, recentBoundary: state.recentBoundary))
    }
}

enum StoreOperation {
    case add, remove, replace
}
