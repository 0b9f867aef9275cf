#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import TsubameServer

@Suite("Privilege drop")
struct PrivilegeDropTests {
    @Test func readsTheIdsOfAThreadFromItsStatus() {
        let status = """
        Name:\ttsubame
        Umask:\t0022
        Uid:\t999\t999\t999\t999
        Gid:\t998\t998\t998\t998
        FDSize:\t64
        Groups:\t998 
        NStgid:\t4242
        """
        let credentials = ThreadCredentials(status: status)
        #expect(credentials == ThreadCredentials(uids: [999, 999, 999, 999], gids: [998, 998, 998, 998], groups: [998]))
        let account = SystemAccount(userName: "tsubame", uid: 999, groupName: "tsubame", gid: 998)
        #expect(credentials == ThreadCredentials.dropped(to: account))
    }

    @Test func aThreadStillRootInOneFieldDoesNotPass() {
        let savedRoot = "Uid:\t999\t999\t0\t999\nGid:\t998\t998\t998\t998\nGroups:\t998\n"
        let account = SystemAccount(userName: "tsubame", uid: 999, groupName: "tsubame", gid: 998)
        #expect(ThreadCredentials(status: savedRoot) != ThreadCredentials.dropped(to: account))
        let extraGroup = "Uid:\t999\t999\t999\t999\nGid:\t998\t998\t998\t998\nGroups:\t0 998\n"
        #expect(ThreadCredentials(status: extraGroup) != ThreadCredentials.dropped(to: account))
    }

    @Test func refusesAStatusWithoutAllFourIds() {
        #expect(ThreadCredentials(status: "Uid:\t999\t999\nGid:\t1\t1\t1\t1\nGroups:\n") == nil)
        #expect(ThreadCredentials(status: "Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\n") == nil)
        #expect(ThreadCredentials(status: "Uid:\t1\tx\t1\t1\nGid:\t1\t1\t1\t1\nGroups:\n") == nil)
    }

    #if os(Linux)
    @Test func listsEveryThreadOfThisProcess() {
        let threads = ThreadCredentials.ofEveryThread()
        #expect(!threads.isEmpty)
        for (thread, credentials) in threads {
            #expect(credentials?.uids.first == UInt32(getuid()), "thread \(thread)")
        }
    }
    #endif

    @Test func looksUpUsersAndGroups() throws {
        let root = try SystemAccount.lookUp(user: "root")
        #expect(root.uid == 0 && root.gid == 0 && root.groupName == "root")
        #expect(throws: SystemAccount.AccountError.self) { try SystemAccount.lookUp(user: "no-such-user-tsubame") }
        #expect(throws: SystemAccount.AccountError.self) { try SystemAccount.lookUp(user: "root", group: "no-such-group-tsubame") }
    }

    @Test func latchReleasesWaitersWhenOpened() async {
        let latch = OneShotLatch()
        let first = Task { await latch.wait() }
        let second = Task { await latch.wait() }
        try? await Task.sleep(for: .milliseconds(20))
        latch.open()
        #expect(await first.value)
        #expect(await second.value)
        #expect(await latch.wait())
    }

    @Test func latchLetsACancelledWaiterGo() async {
        let latch = OneShotLatch()
        let waiter = Task { await latch.wait() }
        try? await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(!latch.isOpen)
    }
}

@Suite("Data folder ownership")
struct DataFolderOwnershipTests {
    let root = NSTemporaryDirectory() + "tsubame-owner-\(UUID().uuidString)"

    func make(_ relative: String, folder: Bool = false) throws -> String {
        let path = "\(root)/\(relative)"
        let parent = folder ? path : (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        if !folder { #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8))) }
        return path
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func findsWhatTheUserDoesNotOwnButSkipsMessages() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let user: uid_t = 4242
        _ = try make("mail/example.org/alice/new/1.M1.mx")
        _ = try make("mail/example.org/alice/cur/2.M2.mx:2,S")
        _ = try make("queue/new/3.M3.mx")
        _ = try make("tls/server-key.pem")
        _ = try make("directory.sqlite")
        let account = SystemAccount(userName: "u", uid: user, groupName: "g", gid: 4242)
        try DataFolderOwnership.handOver(root, to: account)
        #expect(DataFolderOwnership.entries(in: root, notOwnedBy: user).count == 0)

        // root's files: a key and a Maildir folder are found; messages are not even listed
        #expect(chown("\(root)/tls/server-key.pem", 0, 0) == 0)
        #expect(chown("\(root)/mail/example.org/alice/new", 0, 0) == 0)
        #expect(chown("\(root)/mail/example.org/alice/cur/2.M2.mx:2,S", 0, 0) == 0)
        #expect(chown("\(root)/queue/new/3.M3.mx", 0, 0) == 0)
        #expect(symlink("/etc/passwd", "\(root)/tls/link") == 0)
        let found = DataFolderOwnership.entries(in: root, notOwnedBy: user)
        #expect(found.count == 2)
        #expect(found.paths == ["\(root)/mail/example.org/alice/new", "\(root)/tls/server-key.pem"])
    }

    @Test func reportsAtMostTheLimitAndCountsTheRest() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        for index in 0..<7 { _ = try make("tls/sni/host\(index)", folder: true) }
        let someoneElse = getuid() == 4242 ? 4243 : 4242
        let found = DataFolderOwnership.entries(in: root, notOwnedBy: uid_t(someoneElse), limit: 3)
        #expect(found.paths == [root, "\(root)/tls", "\(root)/tls/sni"])
        #expect(found.count == 10)
    }
}
