import Foundation
import IMAPMailbox
import Logging
import MaildirStore
import NIOCore
import NIOPosix
import Testing
@testable import TsubameServer

/// Deliveries to a folder no session has selected are numbered in one batch, after the window.
@Suite("UIDs for delivered mail")
struct DeliveryUIDAssignmentTests {
    let root = NSTemporaryDirectory() + "tsubame-uid-assignment-\(UUID().uuidString)"
    let pool = NIOThreadPool(numberOfThreads: 2)
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let alice = LocalMailbox(domain: "example.org", localPart: "alice")

    init() { pool.start() }

    /// `window`: long enough that a loaded test machine checks "not numbered yet" within it.
    func make(window: TimeAmount) -> (DeliveryUIDAssignment, MaildirStore) {
        let assignment = DeliveryUIDAssignment(
            mailStore: SharedIMAPMailStore(configuration: IMAPMailConfiguration()), timers: loop, threads: pool,
            logger: Logger(label: "test"), window: window)
        let store = MaildirStore(dataDirectory: root, hostname: "h", threadPool: pool,
                                 deliveryObserver: assignment.observer)
        return (assignment, store)
    }

    func deliver(_ store: MaildirStore, _ body: String) async throws -> String {
        let message = store.beginMessage(name: MaildirName.make(hostname: "h"), traceHeaders: "X: y\n",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
        return try await message.commit(ByteBuffer(string: body), on: loop).get()
    }

    /// The records' file names (the part before the colon's field list ends), in UID order.
    func records(_ store: MaildirStore) -> [(uid: Int, file: String)] {
        let path = "\(store.maildirPath(for: alice))/dovecot-uidlist"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().map { line in
            let uid = Int(line.split(separator: " ")[0])!
            let file = line.split(separator: ":", maxSplits: 1)[1]
            return (uid, String(file))
        }
    }

    func stem(_ fileName: String) -> String { String(fileName.split(separator: ",")[0]) }

    @Test func aBatchIsNumberedInDeliveryOrderAfterTheWindow() async throws {
        let (_, store) = make(window: .milliseconds(100))
        var names: [String] = []
        for n in 1...3 { names.append(try await deliver(store, "body \(n)\n")) }
        let deadline = ContinuousClock.now + .seconds(10)
        while records(store).count < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(records(store).map(\.uid) == [1, 2, 3])
        #expect(records(store).map { stem($0.file) } == names.map(stem))
    }

    @Test func aFileGoneBeforeTheBatchGetsNoRecord() async throws {
        let (assignment, store) = make(window: .seconds(60))
        let kept = try await deliver(store, "kept\n")
        let taken = try await deliver(store, "taken\n")
        #expect(unlink("\(store.maildirPath(for: alice))/new/\(taken)") == 0)
        assignment.flushAll()
        #expect(records(store).map { stem($0.file) } == [stem(kept)])
    }

    @Test func flushAllNumbersWhatWaits() async throws {
        let (assignment, store) = make(window: .seconds(60))
        let name = try await deliver(store, "one\n")
        // Acknowledged, durable, and not numbered yet.
        #expect(records(store).isEmpty)
        #expect(FileManager.default.fileExists(atPath: "\(store.maildirPath(for: alice))/new/\(name)"))
        assignment.flushAll()
        #expect(records(store).map(\.uid) == [1])
        #expect(records(store).map { stem($0.file) } == [stem(name)])
        // Nothing is left to number twice.
        assignment.flushAll()
        #expect(records(store).count == 1)
    }
}
