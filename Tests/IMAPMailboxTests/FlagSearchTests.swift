import IMAPMessage
import IMAPProtocol
import IMAPStore
@testable import IMAPMailbox
import Testing

/// FlagSearch is the fast path for flag-only SEARCHes: it must answer exactly as SearchMatcher
/// does, for every key it takes, on every combination of flags.
@Suite struct FlagSearchTests {
    struct Candidate: SearchCandidate {
        let sequenceNumber: UInt32
        let metadata: MessageMetadata
        func content() -> ParsedMessage? { nil }
    }

    static let keywords = MaildirKeywords(names: ["$Junk", "Work"])

    static let leaves: [IMAPSearchKey] = [
        .all, .answered, .deleted, .draft, .flagged, .new, .old, .recent, .seen,
        .unanswered, .undeleted, .undraft, .unflagged, .unseen,
        .keyword("$junk"), .keyword("WORK"), .keyword("never"), .unkeyword("$Junk"), .unkeyword("never"),
        .uid(IMAPSequenceSet([.init(.number(3), .number(5))])), .uid(IMAPSequenceSet([.init(.last)])),
        .sequenceSet(IMAPSequenceSet([.init(.number(2)), .init(.number(7), .last)])),
    ]

    /// Messages 1…12 with UIDs 3, 4, …: every system flag, both keywords and \Recent in turn.
    static let messages: [(sequence: UInt32, uid: UInt32, flags: MaildirFlags, recent: Bool)] = (0..<12).map { n in
        var flags = MaildirFlags()
        let systems: [MaildirFlags.SystemFlag] = [.answered, .deleted, .draft, .flagged, .seen, .passed]
        for (bit, flag) in systems.enumerated() where n & (1 << (bit % 4)) != 0 || n == bit + 6 { flags.system.insert(flag) }
        if n % 3 == 0 { flags.keywords.insert(0) }
        if n % 5 == 1 { flags.keywords.insert(1) }
        return (UInt32(n + 1), UInt32(n + 3), flags, n % 2 == 1)
    }

    func agree(_ keys: [IMAPSearchKey]) throws {
        let search = try #require(FlagSearch(keys, keywords: Self.keywords))
        let matcher = try SearchMatcher(IMAPSearchCommand(charset: nil, keys: keys))
        for message in Self.messages {
            let imapFlags = SelectedMailbox.imapFlags(message.flags, keywords: Self.keywords, recent: message.recent)
            let candidate = Candidate(sequenceNumber: message.sequence,
                                      metadata: MessageMetadata(uid: message.uid, flags: imapFlags, internalDate: 0, size: 0))
            let fast = search.matches(FlagSearch.Message(sequence: message.sequence, uid: message.uid, flags: message.flags,
                                                         recent: message.recent),
                                      largestSequence: 12, largestUID: 14)
            #expect(fast == matcher.matches(candidate, largestSequence: 12, largestUID: 14), "\(keys) on message \(message.sequence)")
        }
    }

    @Test func everyKeyAgreesWithSearchMatcher() throws {
        for key in Self.leaves {
            try agree([key])
            try agree([.not(key)])
        }
        for a in Self.leaves {
            for b in Self.leaves {
                try agree([a, b])
                try agree([.or(a, .not(b))])
            }
        }
        try agree([.and([.unseen, .or(.flagged, .keyword("work"))]), .not(.deleted)])
    }

    @Test func keysReadingMoreThanFlagsAreLeftToSearchMatcher() {
        #expect(FlagSearch([.unseen, .from(Array("a".utf8))], keywords: Self.keywords) == nil)
        #expect(FlagSearch([.or(.seen, .larger(10))], keywords: Self.keywords) == nil)
        #expect(FlagSearch([.not(.since(IMAPDate(year: 2020, month: 1, day: 1)))], keywords: Self.keywords) == nil)
        #expect(FlagSearch([.seen], keywords: Self.keywords)?.readsRecent == false)
        #expect(FlagSearch([.not(.new)], keywords: Self.keywords)?.readsRecent == true)
    }
}
