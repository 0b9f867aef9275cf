import Foundation
import Testing
@testable import MaildirStore

@Suite("Maildrop")
struct MaildropTests {
    let maildir = NSTemporaryDirectory() + "tsubame-maildrop-\(UUID().uuidString)"

    func write(_ location: String, _ content: String) {
        #expect(FileManager.default.createFile(atPath: "\(maildir)/\(location)", contents: Data(content.utf8)))
    }

    @Test func listsNewAndCurOldestFirstWithoutReadingNamedSizes() throws {
        try MaildirStore.createMaildir(at: maildir)
        write("new/1700000001.M20P1Q2.h,S=3,W=999", "abc")       // W= is trusted: not read
        write("cur/1700000001.M3P1Q1.h,S=3,W=5:2,S", "ab\n")
        write("new/1700000000.M999999P1Q9.h", "x\ny\n")          // no W=: counted
        write("new/.hidden", "skip")
        let entries = try Maildrop.scan(maildir: maildir)
        #expect(entries.map(\.location) == ["new/1700000000.M999999P1Q9.h", "cur/1700000001.M3P1Q1.h,S=3,W=5:2,S",
                                            "new/1700000001.M20P1Q2.h,S=3,W=999"])
        #expect(entries.map(\.size) == [6, 5, 999])
        #expect(entries.map(\.uid) == ["1700000000.M999999P1Q9.h", "1700000001.M3P1Q1.h", "1700000001.M20P1Q2.h"])
    }

    @Test func uidSurvivesTheMoveToCur() throws {
        try MaildirStore.createMaildir(at: maildir)
        write("new/1700000000.M1P1Q1.h,S=2,W=3", "a\n")
        let before = try Maildrop.scan(maildir: maildir)
        let moved = Maildrop.markSeen(maildir: maildir, location: before[0].location)
        #expect(moved == "cur/1700000000.M1P1Q1.h,S=2,W=3:2,S")
        let after = try Maildrop.scan(maildir: maildir)
        #expect(after.map(\.uid) == before.map(\.uid))
    }

    @Test func longNamesGetAHashedUID() {
        let uid = Maildrop.uid(ofFileNamed: String(repeating: "x", count: 100) + ",S=1")
        #expect(uid.count <= 70)
        #expect(uid == Maildrop.uid(ofFileNamed: String(repeating: "x", count: 100) + ",S=1:2,S"))
    }

    @Test func lockIsExclusiveAndReleasedWithItsOwner() throws {
        var first = try MaildropLock.acquire(maildir: maildir)
        #expect(first != nil)
        #expect(try MaildropLock.acquire(maildir: maildir) == nil)
        first = nil
        #expect(try MaildropLock.acquire(maildir: maildir) != nil)
    }

    @Test func removeDeletesFiles() throws {
        try MaildirStore.createMaildir(at: maildir)
        write("new/1.M1P1Q1.h", "a\n")
        #expect(Maildrop.remove(maildir: maildir, locations: ["new/1.M1P1Q1.h"]))
        #expect(try Maildrop.scan(maildir: maildir).isEmpty)
    }
}
