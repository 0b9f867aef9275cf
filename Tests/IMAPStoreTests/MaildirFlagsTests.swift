import Testing
@testable import IMAPStore

@Suite struct MaildirFlagsTests {
    @Test func readsSystemFlagsAndKeywordLetters() {
        let flags = MaildirFlags(fileName: "1700000000.M1P2Q3.host,S=10,W=12:2,FRSab")
        #expect(flags.system == [.flagged, .answered, .seen])
        #expect(flags.keywords == [0, 1])
        #expect(flags.unknown.isEmpty)
    }

    @Test func aNameWithoutInfoHasNoFlags() {
        #expect(MaildirFlags(fileName: "1700000000.M1P2Q3.host,S=10,W=12") == MaildirFlags())
        #expect(MaildirFlags(fileName: "1700000000.M1P2Q3.host:1,experimental") == MaildirFlags())
    }

    @Test func rendersSortedByASCIIAsDovecotDoes() {
        let flags = MaildirFlags(system: [.seen, .deleted, .draft, .flagged, .answered, .passed], keywords: [25, 0, 3])
        #expect(flags.rendered == "DFPRSTadz")
        #expect(flags.fileName(base: "123.M4P5.host,S=1,W=1") == "123.M4P5.host,S=1,W=1:2,DFPRSTadz")
    }

    @Test func keepsUnknownFlagsAndASecondFlagSet() {
        let flags = MaildirFlags(fileName: "x:2,SXa,future")
        #expect(flags.unknown == ["X"])
        #expect(flags.extra == ",future")
        var changed = flags
        changed.system.insert(.flagged)
        #expect(changed.rendered == "FSXa,future")
    }

    @Test func dovecotsAppendExampleGivesFab() {
        // APPEND with ($Label1 $Junk \Flagged) gave ":2,Fab" (notes-imap.md).
        var keywords = MaildirKeywords()
        let label = keywords.indexAdding("$Label1")
        let junk = keywords.indexAdding("$Junk")
        let flags = MaildirFlags(system: [.flagged], keywords: KeywordIndexSet([label, junk].compactMap { $0 }))
        #expect(flags.rendered == "Fab")
        #expect(keywords.text == "0 $Label1\n1 $Junk\n")
    }

    @Test func flagBitsBehaveAsSets() {
        var system: SystemFlagSet = [.seen, .draft]
        #expect(system.insert(.seen).inserted == false)
        #expect(system.insert(.deleted).inserted)
        #expect(Array(system) == [.draft, .seen, .deleted])
        #expect(system.remove(.draft) == .draft && system.remove(.draft) == nil)
        system.subtract([.seen])
        #expect(system == [.deleted] && !system.contains(.seen))
        var keywords: KeywordIndexSet = [25, 3, 0]
        #expect(Array(keywords) == [0, 3, 25])
        #expect(keywords.insert(26).inserted == false && keywords.insert(-1).inserted == false)
        #expect(!keywords.contains(26) && keywords.count == 3)
        keywords.formIntersection([3, 4])
        #expect(keywords == [3])
    }

    @Test func mapsIMAPNames() {
        #expect(MaildirFlags.SystemFlag(imapName: "\\seen") == .seen)
        #expect(MaildirFlags.SystemFlag(imapName: "\\Deleted") == .deleted)
        #expect(MaildirFlags.SystemFlag(imapName: "\\Recent") == nil)
        #expect(MaildirFlags.SystemFlag.passed.imapName == nil)
        #expect(MaildirFlags.SystemFlag.deleted.imapName == "\\Deleted")
    }

    @Test func stemIsTheNameUpToTheColon() {
        #expect(MaildirFlags.stem(of: "1.M2P3.h,S=4,W=5:2,S") == "1.M2P3.h,S=4,W=5")
        #expect(MaildirFlags.stem(of: "1.M2P3.h") == "1.M2P3.h")
    }
}

@Suite struct MaildirKeywordsTests {
    @Test func parsesDovecotsFileSkippingBadLines() {
        let keywords = MaildirKeywords(parsing: "0 $Label1\n1 $Junk\nbroken\n26 TooFar\n-1 Negative\n3 NonJunk\n")
        #expect(keywords.name(at: 0) == "$Label1")
        #expect(keywords.name(at: 1) == "$Junk")
        #expect(keywords.name(at: 2) == nil)
        #expect(keywords.name(at: 3) == "NonJunk")
        #expect(keywords.text == "0 $Label1\n1 $Junk\n3 NonJunk\n")
    }

    @Test func looksUpCaseInsensitivelyAndFillsTheFirstFreeSlot() {
        var keywords = MaildirKeywords(parsing: "0 $Label1\n2 Work\n")
        #expect(keywords.index(of: "$label1") == 0)
        #expect(keywords.indexAdding("work") == 2)
        #expect(keywords.indexAdding("Later") == 1)
    }

    @Test func holdsAtMostTwentySixKeywords() {
        var keywords = MaildirKeywords()
        for number in 0..<26 { #expect(keywords.indexAdding("k\(number)") == number) }
        #expect(keywords.indexAdding("one-too-many") == nil)
        #expect(keywords.index(of: "k25") == 25)
    }

    @Test func refusesNamesThatAreNotAtoms() {
        var keywords = MaildirKeywords()
        for bad in ["", "two words", "\\Seen", "paren(", "star*", "quote\"", "brace]"] {
            #expect(keywords.indexAdding(bad) == nil)
        }
    }

    @Test func namesTheLettersOfAFile() {
        let keywords = MaildirKeywords(names: ["$Label1", "$Junk"])
        let flags = MaildirFlags(fileName: "x:2,Sbac")
        #expect(keywords.keywordNames(of: flags) == ["$Label1", "$Junk"])
    }

    @Test func writesAndReadsTheFileUnderItsLock() throws {
        let folder = try TemporaryDirectory()
        var keywords = MaildirKeywords()
        _ = keywords.indexAdding("$Label1")
        try keywords.write(folder: folder.path)
        #expect(try MaildirKeywords.read(folder: folder.path) == keywords)
        #expect(try folder.read("dovecot-keywords") == "0 $Label1\n")
        #expect(!folder.exists("dovecot-keywords.lock"))
    }
}
