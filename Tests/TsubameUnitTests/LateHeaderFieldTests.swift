#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import MaildirStore
@testable import TsubameServer
import MailQueue

/// Header fields known only at the end of the content (Authentication-Results) go below the
/// Return-Path in the delivered file, whether or not the content was spilled already.
@Suite("Late header fields")
struct LateHeaderFieldTests {
    let root: String
    let pool = NIOThreadPool(numberOfThreads: 2)
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let alice = LocalMailbox(domain: "example.org", localPart: "alice")

    init() {
        root = NSTemporaryDirectory() + "tsubame-late-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        pool.start()
    }

    private func deliver(spilling: Bool) async throws -> (String, String) {
        let store = MaildirStore(dataDirectory: root, hostname: "mx", threadPool: pool)
        let message = store.beginMessage(name: MaildirName.make(hostname: "mx"),
                                         traceHeaders: "Return-Path: <a@b.example>\nReceived: by mx\n",
                                         plan: DeliveryPlan(mailboxes: [alice], remoteRecipients: [], reversePath: ""))
        let body = String(repeating: "line of body\n", count: 10_000)
        if spilling { try await message.write(ByteBuffer(string: "Subject: x\n\n" + body), on: loop).get() }
        let fileName = try await message.commit(ByteBuffer(string: spilling ? "end\n" : "Subject: x\n\n" + body + "end\n"),
                                                addedHeaderFields: "Authentication-Results: mx; spf=pass\n", on: loop).get()
        let path = "\(store.maildirPath(for: alice))/new/\(fileName)"
        return (fileName, try String(contentsOfFile: path, encoding: .utf8))
    }

    @Test(arguments: [false, true]) func fieldsGoBelowTheReturnPath(spilling: Bool) async throws {
        let (fileName, text) = try await deliver(spilling: spilling)
        let expected = "Return-Path: <a@b.example>\nAuthentication-Results: mx; spf=pass\nReceived: by mx\nSubject: x\n\n"
            + String(repeating: "line of body\n", count: 10_000) + "end\n"
        #expect(text == expected)
        // The size fields of the name count the added field (Dovecot reads them).
        let lineFeeds = expected.utf8.filter { $0 == UInt8(ascii: "\n") }.count
        #expect(fileName.hasSuffix(",S=\(expected.utf8.count),W=\(expected.utf8.count + lineFeeds)"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/mail/example.org/alice/tmp"))?.isEmpty == true)
    }

    @Test func spliceWithoutReturnPathPutsFieldsOnTop() {
        #expect(SpoolFile.splice("A: 1\n", into: "Received: x\n") == "A: 1\nReceived: x\n")
        #expect(SpoolFile.splice("A: 1\n", into: "Return-Path: <>\nReceived: x\n") == "Return-Path: <>\nA: 1\nReceived: x\n")
    }

    @Test func removesOnlyFieldsThatClaimOurID() {
        let piece = ByteBuffer(string: """
            Authentication-Results: mx.test; spf=pass\n\
            Subject: hi\n\
            authentication-results: other.example;\n\tdkim=pass\n\
            AUTHENTICATION-RESULTS: mx.test;\n\tdmarc=pass\n\
            \n\
            Authentication-Results: mx.test; in the body\n
            """)
        let filtered = HeaderFieldRemoval.removingFields(from: piece, named: "Authentication-Results") {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix("mx.test")
        }
        #expect(filtered.map { String(buffer: $0) } == """
            Subject: hi\n\
            authentication-results: other.example;\n\tdkim=pass\n\
            \n\
            Authentication-Results: mx.test; in the body\n
            """)
    }

    @Test func leavesAFieldCutOffByTheEndOfThePiece() {
        let piece = ByteBuffer(string: "Subject: a\nAuthentication-Results: mx.test;\n")
        #expect(HeaderFieldRemoval.removingFields(from: piece, named: "Authentication-Results") { _ in true } == nil)
        let none = ByteBuffer(string: "Subject: a\nX: y\n\nbody\n")
        #expect(HeaderFieldRemoval.removingFields(from: none, named: "Authentication-Results") { _ in true } == nil)
    }
}
