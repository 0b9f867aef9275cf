import IMAPProtocol
import IMAPStore
@testable import IMAPMailbox
import Testing

@Suite struct RecentUIDsTests {
    @Test func runsJoinOnlyWhenTheyFollowTheHeldOnes() {
        var recent = RecentUIDs()
        let first: [UInt32] = [3, 4, 9, 10]  // 5–8 expunged before the session saw them
        recent.add(run: first[...], after: nil)
        #expect(recent.ranges == [3...10] && recent.count == 4)
        // Arrivals right after the held run: one range.
        let arrivals: [UInt32] = [11, 12]
        recent.add(run: arrivals[...], after: 10)
        #expect(recent.ranges == [3...12] && recent.count == 6)
        // A run after a message another session took (14 is not recent here): a new range.
        let later: [UInt32] = [15, 16]
        recent.add(run: later[...], after: 14)
        #expect(recent.ranges == [3...12, 15...16] && recent.count == 8)
        #expect(recent.contains(3) && recent.contains(12) && recent.contains(16))
        #expect(!recent.contains(2) && !recent.contains(14) && !recent.contains(17))
        #expect(recent.remove(12) && recent.count == 7)
        #expect(!recent.remove(14) && recent.count == 7)
        recent.add(run: [][...], after: 16)
        #expect(recent.count == 7)
    }
}

@Suite struct FlagWritingTests {
    /// writeFlags (FETCH's fast path) writes what IMAPResponseEncoder writes for imapFlags.
    @Test func writesWhatTheEncoderWrites() {
        let keywords = MaildirKeywords(names: ["$Junk", "Work", "$Label1"])
        for bits in 0..<64 {
            for keywordBits in [0, 1, 5, 6] {
                for recent in [false, true] {
                    var flags = MaildirFlags()
                    for (bit, flag) in MaildirFlags.SystemFlag.allCases.enumerated() where bits & (1 << bit) != 0 {
                        flags.system.insert(flag)
                    }
                    for index in 0..<3 where keywordBits & (1 << index) != 0 { flags.keywords.insert(index) }
                    var direct = IMAPWriter(), encoded = IMAPWriter()
                    SelectedMailbox.writeFlags(flags, keywords: keywords, recent: recent, into: &direct)
                    encoded.writeFlags(SelectedMailbox.imapFlags(flags, keywords: keywords, recent: recent))
                    #expect(direct.buffer == encoded.buffer, "\(flags) recent \(recent)")
                }
            }
        }
    }
}
