#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import IMAPStore

@Suite struct DotLockTests {
    @Test func createsTheLockFileExclusivelyWithItsOwner() throws {
        let root = try TemporaryDirectory()
        let lock = try DotLock.acquire(path: "\(root.path)/dovecot-uidlist")
        #expect(try root.read("dovecot-uidlist.lock") == "\(getpid()):\(FileIO.hostname())")
        #expect(throws: DotLock.Timeout.self) { try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", wait: 0) }
        lock.release()
        #expect(!root.exists("dovecot-uidlist.lock"))
    }

    @Test func breaksALockOlderThanTheStaleTime() throws {
        let root = try TemporaryDirectory()
        try root.write("dovecot-uidlist.lock", "1:elsewhere")
        var old = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: FileIO.now() - 121, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, "\(root.path)/dovecot-uidlist.lock", &old, 0) == 0)
        let lock = try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", wait: 0)
        #expect(lock.isStillHeld)
        lock.release()
    }

    @Test func keepsAFreshLockOfAnotherHost() throws {
        let root = try TemporaryDirectory()
        try root.write("dovecot-uidlist.lock", "1:elsewhere")
        #expect(throws: DotLock.Timeout.self) { try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", wait: 1) }
        #expect(root.exists("dovecot-uidlist.lock"))
    }

    @Test func breaksTheLockOfAProcessOfThisHostThatDied() throws {
        let root = try TemporaryDirectory()
        // A pid far above pid_max is never alive.
        try root.write("dovecot-uidlist.lock", "2147483646:\(FileIO.hostname())")
        let lock = try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", wait: 0)
        lock.release()
    }

    @Test func doesNotRemoveALockSomeoneElseTookOver() throws {
        let root = try TemporaryDirectory()
        let lock = try DotLock.acquire(path: "\(root.path)/f")
        // Broken as stale by another process, which now holds a new lock file.
        #expect(unlink("\(root.path)/f.lock") == 0)
        try root.write("f.lock", "other")
        #expect(!lock.isStillHeld)
        lock.release()
        #expect(try root.read("f.lock") == "other")
    }

    @Test func replacesTheTargetAndReleasesInOneRename() throws {
        let root = try TemporaryDirectory()
        try root.write("f", "old")
        let lock = try DotLock.acquire(path: "\(root.path)/f")
        try lock.replaceTarget(with: "new")
        #expect(try root.read("f") == "new")
        #expect(!root.exists("f.lock"))
        #expect(!lock.isStillHeld)
    }

    /// The uidlist's lock by link: the same owner text, the same exclusion, no new inode per
    /// lock, a fresh mtime each time, and never a target replaced through the shared inode.
    @Test func locksByLinkingAFileItKeeps() throws {
        let root = try TemporaryDirectory()
        let source = "\(root.path)/\(DotLock.linkSourcePrefix)\(getpid())"
        // A source left by a process that ended goes; one of a live process (pid 1) stays.
        try root.write("\(DotLock.linkSourcePrefix)2147483646", "2147483646:\(FileIO.hostname())")
        try root.write("\(DotLock.linkSourcePrefix)1", "1:\(FileIO.hostname())")
        let first = try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", linkingFrom: source)
        #expect(!root.exists("\(DotLock.linkSourcePrefix)2147483646") && root.exists("\(DotLock.linkSourcePrefix)1"))
        #expect(try root.read("dovecot-uidlist.lock") == "\(getpid()):\(FileIO.hostname())")
        var lockInfo = stat(), sourceInfo = stat()
        #expect(stat("\(root.path)/dovecot-uidlist.lock", &lockInfo) == 0 && stat(source, &sourceInfo) == 0)
        #expect(lockInfo.st_ino == sourceInfo.st_ino && lockInfo.st_nlink == 2)
        #expect(FileIO.now() - Int(lockInfo.st_mtim.tv_sec) <= 1)
        #expect(throws: DotLock.Timeout.self) {
            try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", linkingFrom: source, wait: 0)
        }
        #expect(throws: DotLock.Timeout.self) { try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", wait: 0) }
        #expect(throws: (any Error).self) { try first.replaceTarget(with: "x") }
        first.release()
        #expect(!root.exists("dovecot-uidlist.lock") && root.exists("\(DotLock.linkSourcePrefix)\(getpid())"))
        // An old source (kept for hours) still gives a lock as young as its acquisition.
        var old = [timespec(tv_sec: 0, tv_nsec: 0), timespec(tv_sec: FileIO.now() - 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, source, &old, 0) == 0)
        let second = try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", linkingFrom: source, wait: 0)
        #expect(stat("\(root.path)/dovecot-uidlist.lock", &lockInfo) == 0 && lockInfo.st_ino == sourceInfo.st_ino)
        #expect(!DotLock.isStale(lockPath: "\(root.path)/dovecot-uidlist.lock", staleAfter: 120))
        second.release()
        // A source swept away is made again.
        #expect(unlink(source) == 0)
        let third = try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", linkingFrom: source, wait: 0)
        #expect(try root.read("dovecot-uidlist.lock") == "\(getpid()):\(FileIO.hostname())")
        third.release()
        // A stale lock of a dead process is broken as before.
        try root.write("dovecot-uidlist.lock", "2147483646:\(FileIO.hostname())")
        let fourth = try DotLock.acquire(path: "\(root.path)/dovecot-uidlist", linkingFrom: source, wait: 0)
        #expect(fourth.isStillHeld)
        fourth.release()
    }
}

@Suite struct UIDValidityTests {
    @Test func startsFromTheTimeAndCountsUpWithMarkerFiles() throws {
        let root = try TemporaryDirectory()
        let before = UInt32(FileIO.now())
        let first = try UIDValidity.next(root: root.path)
        #expect(first >= before && first <= UInt32(FileIO.now()))
        let second = try UIDValidity.next(root: root.path)
        #expect(second == first + 1)
        #expect(try root.read("dovecot-uidvalidity") == UIDValidity.hex(second))
        #expect(try root.names(in: ".").filter { $0.hasPrefix("dovecot-uidvalidity.") } == ["dovecot-uidvalidity.\(UIDValidity.hex(second))"])
    }

    @Test func continuesFromDovecotsFiles() throws {
        let root = try TemporaryDirectory()
        try root.write("dovecot-uidvalidity", "5f000000")
        try root.write("dovecot-uidvalidity.5f000000", "")
        #expect(try UIDValidity.next(root: root.path) == 0x5f00_0001)
    }

    @Test func rescansMarkersWhenTheFileIsMissing() throws {
        let root = try TemporaryDirectory()
        try root.write("dovecot-uidvalidity.00000010", "")
        try root.write("dovecot-uidvalidity.00000020", "")
        #expect(try UIDValidity.next(root: root.path) == 0x21)
        #expect(!root.exists("dovecot-uidvalidity.00000010"))
    }
}
