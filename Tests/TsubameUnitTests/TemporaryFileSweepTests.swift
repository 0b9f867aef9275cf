#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import MaildirStore

@Suite("tmp/ sweep")
struct TemporaryFileSweepTests {
    let root = NSTemporaryDirectory() + "tsubame-sweep-\(UUID().uuidString)"
    let now = TemporaryFileSweep.currentTime()

    func make(_ relative: String, bytes: Int = 10, hoursOld: Double) throws -> String {
        let path = "\(root)/\(relative)"
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 65, count: bytes)))
        let when = now - hoursOld * 3600
        var times = [timespec(tv_sec: Int(when), tv_nsec: 0), timespec(tv_sec: Int(when), tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        return path
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test func removesOnlyFilesOlderThan36HoursInTmp() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let stale = try make("mail/example.org/alice/tmp/1.M1P9Q1.mx", bytes: 100, hoursOld: 40)
        let staleCopy = try make("mail/example.org/bob/tmp/1.M1P9Q1.mx.copy", bytes: 50, hoursOld: 37)
        let staleEnvelope = try make("queue/tmp/1.M1P9Q2.mx.envelope", bytes: 7, hoursOld: 100)
        let young = try make("mail/example.org/alice/tmp/2.M1P9Q3.mx", hoursOld: 35)
        let delivered = try make("mail/example.org/alice/new/0.M1P9Q0.mx,S=10,W=11", hoursOld: 1000)
        let seen = try make("mail/example.org/alice/cur/0.M1P9Q0.mx,S=10,W=11:2,S", hoursOld: 1000)
        let queued = try make("queue/new/0.M1P9Q0.mx", hoursOld: 1000)

        let result = TemporaryFileSweep.run(dataDirectory: root, now: now)
        #expect(result == TemporaryFileSweep.Result(files: 3, bytes: 157))
        #expect(!exists(stale) && !exists(staleCopy) && !exists(staleEnvelope))
        #expect(exists(young) && exists(delivered) && exists(seen) && exists(queued))
        #expect(TemporaryFileSweep.run(dataDirectory: root, now: now) == TemporaryFileSweep.Result())
    }

    @Test func leavesDirectoriesAndSymlinksTargetsAlone() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let outside = try make("elsewhere/precious", hoursOld: 100)
        let tmp = "\(root)/mail/example.org/alice/tmp"
        try FileManager.default.createDirectory(atPath: "\(tmp)/subfolder", withIntermediateDirectories: true)
        #expect(symlink(outside, "\(tmp)/link") == 0)
        #expect(TemporaryFileSweep.run(dataDirectory: root, now: now + 100 * 3600).files == 0)
        #expect(exists(outside) && exists("\(tmp)/subfolder"))
    }

    @Test func aMissingDataFolderIsNothingToDo() {
        #expect(TemporaryFileSweep.run(dataDirectory: root + "-missing") == TemporaryFileSweep.Result())
    }
}
