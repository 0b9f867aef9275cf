import IMAPProtocol
import IMAPStore

/// The selected folder was deleted or renamed away: the session ends, as in Dovecot ("Selected
/// mailbox was deleted, have to disconnect").
public struct SelectedMailboxGone: Error, CustomStringConvertible {
    public var description: String { "Selected mailbox was deleted, have to disconnect." }
}

/// One session's view of its selected folder: its own sequence numbers (RFC 3501 §2.3.1.2)
/// and what it has heard, so the owner's changes reach it as EXISTS, RECENT, FETCH and EXPUNGE.
final class SelectedMailbox {
    let owner: MailboxOwner
    let name: MailboxName
    let wireName: IMAPMailboxName
    let readOnly: Bool
    /// Sequence number i + 1 is uids[i]; expunged messages stay until the client is told.
    var uids: [UInt32] = []
    var recent = RecentUIDs()
    var seenModSeq: UInt64 = 0
    var lastCounter: UInt64 = 0
    var knownKeywords: [String] = []
    /// EXPUNGEs held back during a FETCH, STORE or SEARCH (RFC 3501 §7.4.1).
    var expungesHeld = false
    /// Flag changes this session already reported itself (STORE, FETCH setting \Seen):
    /// uid → the MODSEQ reported.
    var ownReported: [UInt32: UInt64] = [:]

    init(owner: MailboxOwner, name: MailboxName, wireName: IMAPMailboxName, readOnly: Bool) {
        self.owner = owner
        self.name = name
        self.wireName = wireName
        self.readOnly = readOnly
    }

    /// Flags as IMAP names them, in Dovecot's order: system flags, \Recent, keywords.
    static func imapFlags(_ flags: MaildirFlags, keywords: MaildirKeywords, recent: Bool) -> [IMAPFlag] {
        var result: [IMAPFlag] = []
        if flags.system.contains(.answered) { result.append(.answered) }
        if flags.system.contains(.flagged) { result.append(.flagged) }
        if flags.system.contains(.deleted) { result.append(.deleted) }
        if flags.system.contains(.seen) { result.append(.seen) }
        if flags.system.contains(.draft) { result.append(.draft) }
        if recent { result.append(.recent) }
        if !flags.keywords.isEmpty {
            for name in keywords.keywordNames(of: flags) { result.append(.keyword(name)) }
        }
        return result
    }

    /// `imapFlags` written as a list without making it (FETCH 1:* FLAGS writes 100,000).
    static func writeFlags(_ flags: MaildirFlags, keywords: MaildirKeywords, recent: Bool, into writer: inout IMAPWriter) {
        var first = true
        func add(_ name: StaticString) {
            if !first { writer.writeSpace() }
            first = false
            writer.writeStatic(name)
        }
        writer.writeStatic("(")
        if flags.system.contains(.answered) { add("\\Answered") }
        if flags.system.contains(.flagged) { add("\\Flagged") }
        if flags.system.contains(.deleted) { add("\\Deleted") }
        if flags.system.contains(.seen) { add("\\Seen") }
        if flags.system.contains(.draft) { add("\\Draft") }
        if recent { add("\\Recent") }
        if !flags.keywords.isEmpty {
            for name in keywords.keywordNames(of: flags) {
                if !first { writer.writeSpace() }
                first = false
                writer.write(name)
            }
        }
        writer.writeStatic(")")
    }

    static let systemFlags: [IMAPFlag] = [.answered, .flagged, .deleted, .seen, .draft]

    func flagsResponses(keywords: [String]) -> [IMAPResponse] {
        let keywordFlags = keywords.map { IMAPFlag.keyword($0) }
        var responses: [IMAPResponse] = [.untagged(.flags(Self.systemFlags + keywordFlags))]
        if readOnly {
            responses.append(.untagged(.status(IMAPStatus(.ok, code: .permanentFlags([], canCreateKeywords: false), "Read-only mailbox."))))
        } else {
            responses.append(.untagged(.status(IMAPStatus(.ok, code: .permanentFlags(Self.systemFlags + keywordFlags, canCreateKeywords: true),
                                                          "Flags permitted."))))
        }
        return responses
    }

    /// SELECT/EXAMINE's untagged responses (RFC 3501 §6.3.1), in Dovecot's order. A read-write
    /// SELECT takes the folder's \Recent messages (§2.3.2).
    func open() throws -> [IMAPResponse] {
        try owner.withSynchronizedState { state in
            uids = state.messages.map(\.uid)
            // EXAMINE shows the recent messages without taking them (as Dovecot does).
            let first = state.lowerBound(state.recentBoundary)
            recent = RecentUIDs()
            recent.add(run: uids[first...], after: nil)
            if !readOnly {
                if state.recentBoundary != state.nextUID {
                    state.recentBoundary = state.nextUID
                    owner.saveFolderRow(state)
                }
            }
            seenModSeq = state.highestModSeq
            lastCounter = state.changeCounter
            knownKeywords = state.keywords.names.compactMap { $0 }
            var responses = flagsResponses(keywords: knownKeywords)
            responses.append(.untagged(.exists(UInt32(uids.count))))
            responses.append(.untagged(.recent(UInt32(recent.count))))
            if let unseen = state.messages.firstIndex(where: { !$0.flags.system.contains(.seen) }) {
                responses.append(.untagged(.status(IMAPStatus(.ok, code: .unseen(UInt32(unseen + 1)), "First unseen."))))
            }
            responses.append(.untagged(.status(IMAPStatus(.ok, code: .uidValidity(state.uidValidity), "UIDs valid"))))
            responses.append(.untagged(.status(IMAPStatus(.ok, code: .uidNext(state.nextUID), "Predicted next UID"))))
            return responses
        }
    }

    /// The untagged updates owed (RFC 3501 §7.4.1, §5.2): EXPUNGE (unless `allowExpunge` is
    /// false, §5.5: not during FETCH, STORE, SEARCH), EXISTS and RECENT, FETCH FLAGS of
    /// messages others changed. Sequence numbers stay valid: expunged messages the client has
    /// not heard of keep their place.
    func updates(allowExpunge: Bool, syncPoint: Bool = true) throws -> [IMAPResponse] {
        let body = { (state: inout OwnerState) -> [IMAPResponse] in
            guard state.changeCounter != self.lastCounter || (allowExpunge && self.expungesHeld) else { return [] }
            return self.collectUpdates(state: &state, allowExpunge: allowExpunge)
        }
        do {
            return syncPoint ? try owner.withSynchronizedState(body) : owner.withState(body)
        } catch is SelectedMailboxGone {
            throw SelectedMailboxGone()
        }
    }

    private func collectUpdates(state: inout OwnerState, allowExpunge: Bool) -> [IMAPResponse] {
        var responses: [IMAPResponse] = []
        // Keywords defined since: FLAGS and PERMANENTFLAGS again (RFC 3501 §7.2.6).
        let keywords = state.keywords.names.compactMap { $0 }
        if keywords != knownKeywords {
            knownKeywords = keywords
            responses += flagsResponses(keywords: keywords)
        }
        // Expunges: a walk of both ascending UID lists.
        var expungedIndexes: [Int] = []
        var ownerIndex = 0
        for (index, uid) in uids.enumerated() {
            while ownerIndex < state.messages.count, state.messages[ownerIndex].uid < uid { ownerIndex += 1 }
            if ownerIndex >= state.messages.count || state.messages[ownerIndex].uid != uid { expungedIndexes.append(index) }
        }
        // Flag changes of messages the client knows (none when no MODSEQ moved past ours).
        if state.highestModSeq > seenModSeq {
            state.forEachPresent(uids) { index, at in
                let modSeq = state.messages[at].modSeq, uid = state.messages[at].uid
                guard modSeq > seenModSeq, ownReported[uid] != modSeq else { return }
                let flags = Self.imapFlags(state.messages[at].flags, keywords: state.keywords, recent: recent.contains(uid))
                responses.append(.untagged(.fetch(UInt32(index + 1), [.flags(flags)])))
            }
        }
        var recentExpunged = false
        if allowExpunge, !expungedIndexes.isEmpty {
            // Descending, as Dovecot sends them: every number is still right when the client reads it.
            for index in expungedIndexes.reversed() {
                responses.append(.untagged(.expunge(UInt32(index + 1))))
                if recent.remove(uids[index]) { recentExpunged = true }
            }
            let gone = Set(expungedIndexes)
            uids = uids.enumerated().filter { !gone.contains($0.offset) }.map(\.element)
        }
        // Arrivals: UIDs above the highest the client knows.
        let known = uids.last
        let highest = known ?? 0
        let firstNew = state.lowerBound(highest + 1)
        let arrivals = state.messages[firstNew...].map(\.uid)
        if !arrivals.isEmpty {
            uids += arrivals
            if !readOnly, let boundaryIndex = arrivals.firstIndex(where: { $0 >= state.recentBoundary }) {
                recent.add(run: arrivals[boundaryIndex...], after: boundaryIndex > 0 ? arrivals[boundaryIndex - 1] : known)
                state.recentBoundary = state.nextUID
                owner.saveFolderRow(state)
            }
            responses.append(.untagged(.exists(UInt32(uids.count))))
            responses.append(.untagged(.recent(UInt32(recent.count))))
        } else if recentExpunged {
            // Dovecot tells the new \Recent count after expunging a recent message.
            responses.append(.untagged(.recent(UInt32(recent.count))))
        }
        seenModSeq = state.highestModSeq
        ownReported = [:]
        lastCounter = state.changeCounter
        expungesHeld = !allowExpunge && !expungedIndexes.isEmpty
        return responses
    }

    /// Whether updates are waiting (for `watch`).
    var hasPendingUpdates: Bool {
        owner.withState { $0.changeCounter != lastCounter } || expungesHeld
    }
}
