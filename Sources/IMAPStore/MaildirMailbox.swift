#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaildirStore

/// One Maildir folder (the INBOX root or a `.Name` folder) with Dovecot's control files: the
/// UIDs in `dovecot-uidlist` under its dotlock, keywords in `dovecot-keywords`.
///
/// Blocking: a later IMAP mailbox owner (one per folder in the process) calls it from a
/// storage thread. Dovecot takes the same lock while it scans, so UIDs stay the same
/// whichever server assigns them.
public struct MaildirMailbox: Sendable {
    /// The folder: it holds cur/, new/, tmp/ and the control files.
    public let path: String
    /// The user's Maildir root, where `dovecot-uidvalidity` lives.
    public let root: String
    public var lockWait: Int = DotLock.defaultWait

    public init(path: String, root: String) {
        self.path = path
        self.root = root
    }

    public var uidListPath: String { "\(path)/\(UIDList.fileName)" }
    /// What this process links to take the uidlist's lock (`DotLock.acquire(path:linkingFrom:)`),
    /// beside the uidlist (Dovecot ignores files there that are not folders; tmp/ must stay
    /// empty of anything but deliveries in progress).
    public var lockSource: String { "\(path)/\(DotLock.linkSourcePrefix)\(getpid())" }

    /// Reads the uidlist without the lock (a reader sees the old or the new file, since writers
    /// rename or append whole lines). nil when there is none; a broken header throws.
    public func readUIDList() throws -> UIDList? {
        guard let text = try FileIO.readTextIfPresent(uidListPath) else { return nil }
        return try UIDList(parsing: text)
    }

    /// Scans new/ and cur/ under the uidlist lock: files already listed keep their UIDs (matched
    /// by the name up to ":", so flag changes and the move to cur/ keep them), new files get
    /// the next UIDs in delivery order (the time in their names, as Dovecot sorts them), with a
    /// `P` field holding Tsubame's POP3 UIDL; records of vanished files are dropped. Writes the
    /// uidlist when anything changed: appended lines when files were only added, else a full
    /// rewrite by rename.
    public func synchronize() throws -> UIDListSnapshot {
        for directory in ["", "/cur", "/new", "/tmp"] { try FileIO.makeDirectory(path + directory) }
        let lock = try DotLock.acquire(path: uidListPath, linkingFrom: lockSource, wait: lockWait)
        defer { lock.release() }

        var existing: UIDList?
        do {
            existing = try readUIDList()
        } catch is UIDListError {
            existing = nil  // a broken header: start again with a new UIDVALIDITY, as Dovecot does
        }
        var list = try existing ?? UIDList(uidValidity: UIDValidity.next(root: root))

        var files = try scan()
        // A rename in a directory while readdir() runs may hide both names (POSIX leaves it
        // open): look once more before taking a listed message for expunged.
        if list.records.contains(where: { files[$0.fileStem] == nil }) {
            for (stem, location) in try scan() where files[stem] == nil { files[stem] = location }
        }

        let before = list.records.count
        list.records.removeAll { files[$0.fileStem] == nil }
        let removed = list.records.count != before
        let known = Set(list.records.map(\.fileStem))
        let added = DeliveryOrder.sorted(files.keys.filter { !known.contains($0) })
        var appended = ""
        for stem in added {
            guard list.nextUID < UInt32.max else { break }
            var record = UIDListRecord(uid: list.nextUID, fileStem: stem)
            record.setField("P", POP3UIDL.of(fileName: stem))
            list.records.append(record)
            appended += record.line
        }

        if existing == nil || removed || existing?.needsRewrite == true {
            list.headerNextUID = list.nextUID
            try FileIO.replace(path: uidListPath, with: list.text)
        } else if !appended.isEmpty {
            // Dovecot appends without raising N too; readers take max(N, last UID + 1).
            try FileIO.append(path: uidListPath, text: appended)
        }
        return snapshot(of: list, files: files)
    }

    /// Gives files just delivered into new/ their UIDs at once, under the lock, by appending
    /// uidlist lines (with the `P` field) as Dovecot's LDA does, so UIDs are fixed at delivery
    /// and no scan is needed to see them. Files already listed keep theirs. Without a uidlist
    /// (or with a broken one) this is a full `synchronize()`. Returns the UIDs in `fileNames` order.
    public func assignUIDs(toDelivered fileNames: [String]) throws -> [UInt32] {
        let stems = fileNames.map { String(MaildirFlags.stem(of: $0)) }
        do {
            let lock = try DotLock.acquire(path: uidListPath, linkingFrom: lockSource, wait: lockWait)
            defer { lock.release() }
            if var known = try knownUIDList() {
                var appended = ""
                var uids: [UInt32] = []
                for stem in stems {
                    if let uid = known.stems[stem] {
                        uids.append(uid)
                        continue
                    }
                    guard known.nextUID < UInt32.max else { break }
                    var record = UIDListRecord(uid: known.nextUID, fileStem: stem)
                    record.setField("P", POP3UIDL.of(fileName: stem))
                    known.stems[stem] = record.uid
                    known.nextUID += 1
                    uids.append(record.uid)
                    appended += record.line
                }
                if !appended.isEmpty {
                    do {
                        try FileIO.append(path: uidListPath, text: appended)
                    } catch {
                        DeliveryUIDLists.shared.forget(uidListPath)  // how much was written is unknown
                        throw error
                    }
                    known.size += appended.utf8.count
                }
                DeliveryUIDLists.shared.keep(uidListPath, known)
                return uids
            }
        }
        let snapshot = try synchronize()
        let byStem = Dictionary(snapshot.messages.map { (String(MaildirFlags.stem(of: $0.fileName)), $0.uid) },
                                uniquingKeysWith: { first, _ in first })
        return stems.compactMap { byStem[$0] }
    }

    /// The uidlist as this process last knew it plus what was appended since (read alone), or
    /// read whole. nil when there is none or it must be rewritten (`synchronize` does that).
    /// Under the lock.
    private func knownUIDList() throws -> DeliveryUIDLists.Known? {
        var info = stat()
        guard stat(uidListPath, &info) == 0 else { return nil }
        if var known = DeliveryUIDLists.shared.take(uidListPath, matching: info) {
            guard Int(info.st_size) > known.size else { return known }
            if let tail = FileIO.readRange(path: uidListPath, from: known.size, count: Int(info.st_size) - known.size),
               tail.last == UInt8(ascii: "\n") {
                var parsed = true
                for line in tail.split(separator: UInt8(ascii: "\n")) {
                    guard let record = UIDList.parseRecord(Substring(decoding: line, as: UTF8.self), version: 3) else {
                        parsed = false
                        break
                    }
                    known.stems[record.fileStem] = record.uid
                    known.nextUID = max(known.nextUID, record.uid &+ 1)
                }
                if parsed {
                    known.size = Int(info.st_size)
                    return known
                }
            }
        }
        guard let bytes = try FileIO.readIfPresent(uidListPath) else { return nil }
        let list: UIDList
        do {
            list = try UIDList(parsing: String(decoding: bytes, as: UTF8.self))
        } catch {
            return nil  // a broken header: synchronize starts again, as Dovecot does
        }
        guard !list.needsRewrite else { return nil }
        var stems: [String: UInt32] = [:]
        stems.reserveCapacity(list.records.count)
        for record in list.records { stems[record.fileStem] = record.uid }
        return DeliveryUIDLists.Known(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: bytes.count,
                                      nextUID: list.nextUID, stems: stems)
    }

    /// Gives a message new flags by renaming its file to `cur/STEM:2,FLAGS` (a flag change
    /// also moves a message out of new/, as in Dovecot). The stem, and so the UID, stays. A
    /// file that is gone (expunged, or renamed by another writer meanwhile) throws ENOENT: the
    /// caller rescans. Returns the new location.
    public func setFlags(_ flags: MaildirFlags, location: String) throws -> String {
        let name = String(Substring(location.utf8.dropFirst(4)))
        let target = "cur/" + flags.fileName(base: String(MaildirFlags.stem(of: name)))
        if target == location { return location }
        if Glibc.rename("\(path)/\(location)", "\(path)/\(target)") < 0 { throw FileIO.fail("rename", "\(path)/\(location)") }
        return target
    }

    /// stem → "new/NAME" or "cur/NAME". A name in both (caught mid-move) counts as in cur/.
    func scan() throws -> [String: String] {
        var files: [String: String] = [:]
        for folder in ["new", "cur"] {
            for name in try DirectoryListing.names(in: "\(path)/\(folder)") where !name.hasPrefix(".") {
                files[String(MaildirFlags.stem(of: name))] = "\(folder)/\(name)"
            }
        }
        return files
    }

    func snapshot(of list: UIDList, files: [String: String]) -> UIDListSnapshot {
        let messages = list.records.compactMap { record -> UIDListSnapshot.Message? in
            guard let location = files[record.fileStem] else { return nil }
            let name = String(Substring(location.utf8.dropFirst(4)))  // after "new/" or "cur/"
            return UIDListSnapshot.Message(
                uid: record.uid, location: location, flags: MaildirFlags(fileName: name),
                pop3UIDL: record.pop3UIDL ?? POP3UIDL.of(fileName: name),
                virtualSize: record.virtualSize ?? DeliveryOrder.sizeField("W", in: name))
        }
        return UIDListSnapshot(uidValidity: list.uidValidity, nextUID: list.nextUID,
                               mailboxGUID: list.mailboxGUID, messages: messages)
    }
}
