import IMAPMessage
import IMAPProtocol
import IMAPStore

/// STORE, SEARCH, COPY, MOVE and EXPUNGE of the selected state (RFC 3501 §6.4, RFC 6851, RFC 4315).
extension IMAPAccountSession {
    static func invalidSet(_ tag: String, _ command: String) -> IMAPResponse {
        .tagged(tag, IMAPStatus(.bad, "Error in IMAP command \(command): Invalid messageset."))
    }

    /// The view's index ranges for a set, or nil when a sequence number is out of range.
    func ranges(_ set: IMAPSequenceSet, uid: Bool, in view: SelectedMailbox) -> [ClosedRange<Int>]? {
        uid ? MessageSets.uidRanges(set, uids: view.uids) : MessageSets.sequenceRanges(set, count: view.uids.count)
    }

    // MARK: EXPUNGE

    func expunge(uids: Set<UInt32>?, tag: String) throws -> [IMAPResponse] {
        guard let selected else { return [] }
        // Dovecot answers OK in a read-only mailbox and removes nothing.
        if !selected.readOnly { _ = try selected.owner.expunge(uids: uids) }
        return try updates(allowExpunge: true) + [.tagged(tag, IMAPStatus(.ok, "Expunge completed."))]
    }

    // MARK: STORE

    func store(_ set: IMAPSequenceSet, _ action: IMAPStoreAction, uid: Bool, tag: String) throws -> [IMAPResponse] {
        guard let selected else { return [] }
        guard let ranges = ranges(set, uid: uid, in: selected) else { return [Self.invalidSet(tag, "STORE")] }
        if selected.readOnly {
            // Dovecot answers OK and changes nothing.
            return try updates(allowExpunge: uid) + [.tagged(tag, IMAPStatus(.ok, "Store ignored with read-only mailbox."))]
        }
        var system = SystemFlagSet()
        var keywords: [String] = []
        for flag in action.flags {
            switch flag {
            case .answered: system.insert(.answered)
            case .flagged: system.insert(.flagged)
            case .deleted: system.insert(.deleted)
            case .seen: system.insert(.seen)
            case .draft: system.insert(.draft)
            case .recent, .extension: continue  // cannot be stored (RFC 3501 §2.3.2)
            case .keyword(let name): if !keywords.contains(where: { $0.lowercased() == name.lowercased() }) { keywords.append(name) }
            }
        }
        let operation: StoreOperation = switch action.operation {
        case .add: .add
        case .remove: .remove
        case .replace: .replace
        }
        var uids: [UInt32] = []
        for range in ranges { for index in range { uids.append(selected.uids[index]) } }
        let changed: [UInt32]
        do {
            changed = try selected.owner.store(uids: uids, operation: operation, system: system, keywords: keywords)
        } catch OwnerWriteError.tooManyKeywords {
            return try updates(allowExpunge: uid)
                + [.tagged(tag, IMAPStatus(.no, code: .limit, "Too many keywords: a mailbox holds at most 26."))]
        }
        // Our own changes, reported here (unless .SILENT) and not again as updates; as in
        // Dovecot, messages whose flags did not change are not reported.
        var responses: [IMAPResponse] = try selected.owner.withState { state in
            var responses: [IMAPResponse] = []
            let keywordNames = state.keywords.names.compactMap { $0 }
            if keywordNames != selected.knownKeywords {
                selected.knownKeywords = keywordNames
                responses += selected.flagsResponses(keywords: keywordNames)
            }
            for messageUID in changed {
                guard let at = state.index(of: messageUID) else { continue }
                let message = state.messages[at]
                selected.ownReported[messageUID] = message.modSeq
                guard !action.silent else { continue }
                let sequence = MessageSets.lowerBound(selected.uids, messageUID) + 1
                let flags = SelectedMailbox.imapFlags(message.flags, keywords: state.keywords,
                                                      recent: selected.recent.contains(messageUID))
                responses.append(.untagged(.fetch(UInt32(sequence), uid ? [.uid(messageUID), .flags(flags)] : [.flags(flags)])))
            }
            return responses
        }
        responses += try updates(allowExpunge: uid)
        return responses + [.tagged(tag, IMAPStatus(.ok, "Store completed."))]
    }

    // MARK: SEARCH

    func search(_ command: IMAPSearchCommand, uid: Bool, tag: String) throws -> [IMAPResponse] {
        guard let selected else { return [] }
        let matcher: SearchMatcher
        do {
            matcher = try SearchMatcher(command)
        } catch {
            return [.tagged(tag, IMAPStatus(.no, code: .badCharset(SearchMatcher.charsets), "Unsupported search charset."))]
        }
        let largestUID = selected.uids.last ?? 0
        // Dates and sizes only when a key reads them: a SEARCH UNSEEN of 100,000 messages must
        // not look up 100,000 dates.
        let needsDate = command.keys.contains { Self.reads($0, where: \.readsInternalDate) }
        let needsSize = command.keys.contains { Self.reads($0, where: \.readsSize) }
        let flagsOnly: [UInt32]? = selected.owner.withState { state in
            guard let search = FlagSearch(command.keys, keywords: state.keywords) else { return nil }
            // Flags and numbers only (UNSEEN, FLAGGED, KEYWORD, UID …, the common client
            // searches): matched under the lock on the flag bits, nothing gathered.
            var found: [UInt32] = []
            let largestSequence = UInt32(selected.uids.count)
            state.forEachPresent(selected.uids) { index, at in
                let message = FlagSearch.Message(sequence: UInt32(index + 1), uid: state.messages[at].uid,
                                                 flags: state.messages[at].flags,
                                                 recent: search.readsRecent && selected.recent.contains(state.messages[at].uid))
                if search.matches(message, largestSequence: largestSequence, largestUID: largestUID) {
                    found.append(uid ? message.uid : message.sequence)
                }
            }
            return found
        }
        if let flagsOnly {
            return [.untagged(.search(flagsOnly))] + (try updates(allowExpunge: uid)) + [.tagged(tag, IMAPStatus(.ok, "Search completed."))]
        }
        // The candidates' metadata, taken under the lock; content is read outside it.
        let candidates: [MessageCandidate] = selected.owner.withState { state in
            let context = SearchFlagContext(recent: selected.recent, keywords: state.keywords)
            var candidates: [MessageCandidate] = []
            state.forEachPresent(selected.uids) { index, at in
                let message = state.messages[at]
                candidates.append(MessageCandidate(sequenceNumber: UInt32(index + 1), uid: message.uid, flags: message.flags,
                                                   context: context, location: message.location, size: message.size,
                                                   folder: selected.owner.path))
            }
            return candidates
        }
        var found: [UInt32] = []
        for var candidate in candidates {
            if needsDate { candidate.internalDate = selected.owner.internalDate(uid: candidate.uid, location: candidate.location) }
            if needsSize, candidate.size == nil {
                candidate.size = MessageFiles.crlfSize(path: "\(candidate.folder)/\(candidate.location)") ?? 0
            }
            if matcher.matches(candidate, largestSequence: UInt32(selected.uids.count), largestUID: largestUID) {
                found.append(uid ? candidate.uid : candidate.sequenceNumber)
            }
        }
        return [.untagged(.search(found))] + (try updates(allowExpunge: uid)) + [.tagged(tag, IMAPStatus(.ok, "Search completed."))]
    }

    /// Whether a key, or one inside it, passes `test` (NOT, OR and parentheses looked into).
    static func reads(_ key: IMAPSearchKey, where test: (IMAPSearchKey) -> Bool) -> Bool {
        switch key {
        case .not(let inner): return reads(inner, where: test)
        case .or(let a, let b): return reads(a, where: test) || reads(b, where: test)
        case .and(let keys): return keys.contains { reads($0, where: test) }
        default: return test(key)
        }
    }

    // MARK: COPY and MOVE

    func copy(_ set: IMAPSequenceSet, to target: IMAPMailboxName, uid: Bool, move: Bool, tag: String) throws -> [IMAPResponse] {
        guard let selected else { return [] }
        let command = move ? "MOVE" : "COPY"
        guard let ranges = ranges(set, uid: uid, in: selected) else { return [Self.invalidSet(tag, command)] }
        guard let targetName = existingMailbox(target) else {
            return [.tagged(tag, IMAPStatus(.no, code: .tryCreate, "Mailbox doesn't exist: \(Self.text(target))"))]
        }
        if move, selected.readOnly {
            return [.tagged(tag, IMAPStatus(.no, code: .readOnly, "Mailbox is read-only."))]
        }
        var wanted: [UInt32] = []
        for range in ranges { for index in range { wanted.append(selected.uids[index]) } }
        let sources: [CopySource] = try selected.owner.withSynchronizedState { state in
            wanted.compactMap { messageUID in
                guard let at = state.index(of: messageUID) else { return nil }
                let message = state.messages[at]
                return CopySource(uid: messageUID, path: "\(selected.owner.path)/\(message.location)", flags: message.flags,
                                  keywordNames: state.keywords.keywordNames(of: message.flags))
            }
        }
        if sources.isEmpty {
            return try updates(allowExpunge: uid || move) + [.tagged(tag, IMAPStatus(.ok, "No messages found."))]
        }
        let owner = store.acquire(name: targetName, root: maildir)
        defer { store.release(owner) }
        let newUIDs: [UInt32]
        do {
            newUIDs = try owner.addCopies(of: sources, hostname: store.hostname)
        } catch OwnerWriteError.tooManyKeywords {
            return [.tagged(tag, IMAPStatus(.no, code: .limit, "Too many keywords: a mailbox holds at most 26."))]
        }
        let uidValidity = owner.withState { $0.uidValidity }
        let code = IMAPResponseCode.copyUID(uidValidity: uidValidity, source: MessageSets.compact(sources.map(\.uid)),
                                            destination: MessageSets.compact(newUIDs))
        guard move else {
            return try updates(allowExpunge: uid) + [.tagged(tag, IMAPStatus(.ok, code: code, "Copy completed."))]
        }
        _ = try selected.owner.expunge(uids: Set(sources.map(\.uid)), onlyDeleted: false)
        // RFC 6851 §4.3: COPYUID in an untagged OK before the EXPUNGEs.
        return [.untagged(.status(IMAPStatus(.ok, code: code, "Moved UIDs.")))] + (try updates(allowExpunge: true))
            + [.tagged(tag, IMAPStatus(.ok, "Move completed."))]
    }
}

/// What the candidates of one SEARCH share: the session's \Recent set and the folder's
/// keywords, each keyword name looked up once per SEARCH rather than once per message.
final class SearchFlagContext {
    let recent: RecentUIDs
    let keywords: MaildirKeywords
    private var indexes: [String: Int?] = [:]

    init(recent: RecentUIDs, keywords: MaildirKeywords) {
        self.recent = recent
        self.keywords = keywords
    }

    func keywordIndex(_ name: String) -> Int? {
        if let known = indexes[name] { return known }
        let index = keywords.index(of: name)
        indexes[name] = index
        return index
    }
}

/// A message as SEARCH sees it: flags as the name's bits, the date and a size missing from
/// the name filled in only when a key reads them, the file read only when a key needs it.
struct MessageCandidate: SearchCandidate {
    let sequenceNumber: UInt32
    let uid: UInt32
    let flags: MaildirFlags
    let context: SearchFlagContext
    let location: String
    var size: Int?
    let folder: String
    var internalDate = 0

    var metadata: MessageMetadata {
        let imapFlags = SelectedMailbox.imapFlags(flags, keywords: context.keywords, recent: context.recent.contains(uid))
        return MessageMetadata(uid: uid, flags: imapFlags, internalDate: internalDate, size: size ?? 0)
    }

    func hasFlag(_ flag: IMAPFlag) -> Bool {
        switch flag {
        case .answered: flags.system.contains(.answered)
        case .flagged: flags.system.contains(.flagged)
        case .deleted: flags.system.contains(.deleted)
        case .seen: flags.system.contains(.seen)
        case .draft: flags.system.contains(.draft)
        case .recent: context.recent.contains(uid)
        case .keyword(let name): hasKeyword(name)
        case .extension: false
        }
    }

    func hasKeyword(_ name: String) -> Bool {
        guard let index = context.keywordIndex(name) else { return false }
        return flags.keywords.contains(index)
    }

    func content() -> ParsedMessage? {
        MessageFiles.parsed(path: "\(folder)/\(location)")
    }
}

extension IMAPSearchKey {
    /// BEFORE, ON, SINCE: the internal date (RFC 3501 §6.4.4).
    var readsInternalDate: Bool {
        switch self {
        case .before, .on, .since: return true
        default: return false
        }
    }

    /// LARGER, SMALLER: RFC822.SIZE.
    var readsSize: Bool {
        switch self {
        case .larger, .smaller: return true
        default: return false
        }
    }
}
