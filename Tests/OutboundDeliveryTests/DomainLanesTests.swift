import Foundation
import MailQueue
@testable import OutboundDelivery
import Testing

@Suite struct DomainLanesTests {

    @Test func perDomainAndGlobalLimitsBoundTheWorkers() {
        var lanes = DomainLanes<String>(globalLimit: 3, perDomainLimit: 2)
        for index in 0..<5 { lanes.add("a\(index)", domain: "a.example") }
        lanes.add("b0", domain: "b.example")
        var started: [String] = []
        while let domain = lanes.startWorker() { started.append(domain) }
        #expect(started.sorted() == ["a.example", "a.example", "b.example"])
        #expect(lanes.activeWorkers == 3)
        #expect(lanes.backlog == 6)
    }

    @Test func aWorkerTakesItsDomainsBatchesInOrderThenEnds() {
        var lanes = DomainLanes<String>(globalLimit: 5, perDomainLimit: 1)
        lanes.add("1", domain: "a.example")
        lanes.add("2", domain: "a.example")
        #expect(lanes.startWorker() == "a.example")
        #expect(lanes.startWorker() == nil)  // one per domain
        #expect(lanes.nextBatch(for: "a.example") == "1")
        #expect(lanes.nextBatch(for: "a.example") == "2")
        #expect(lanes.nextBatch(for: "a.example") == nil)
        #expect(lanes.activeWorkers == 0)
        lanes.add("3", domain: "a.example")
        #expect(lanes.startWorker() == "a.example")
    }

    @Test func drainReturnsWhatWasNotStarted() {
        var lanes = DomainLanes<String>(globalLimit: 1, perDomainLimit: 1)
        lanes.add("1", domain: "a.example")
        lanes.add("2", domain: "b.example")
        #expect(lanes.drain().count == 2)
        #expect(lanes.backlog == 0)
        #expect(lanes.startWorker() == nil)
    }
}

@Suite struct QueuedEnvelopeTests {
    @Test func mailboxesAsTheServerWritesThem() {
        #expect(QueuedEnvelope.mailbox("bob@example.net") == .init(localPart: "bob", domain: "example.net"))
        #expect(QueuedEnvelope.mailbox("\"a b\\\"c\"@example.net") == .init(localPart: "a b\"c", domain: "example.net"))
        #expect(QueuedEnvelope.mailbox("no-at-sign") == nil)
        #expect(QueuedEnvelope.reversePath("") == .null)
    }

    @Test func dsnParametersAreDecodedFromXText() {
        let original = QueuedEnvelope.originalRecipient("rfc822;bob+40example.net")
        #expect(original?.addressType == "rfc822")
        #expect(original?.address == "bob@example.net")
        #expect(QueuedEnvelope.originalRecipient("rfc822;bad+4") == nil)
        #expect(QueuedEnvelope.decodedText("abc+2Bdef") == "abc+def")
        #expect(QueuedEnvelope.notify("SUCCESS,FAILURE") == [.success, .failure])
        #expect(QueuedEnvelope.notify("NEVER") == [])
        #expect(QueuedEnvelope.notify(nil) == nil)
    }

    @Test func wireSizeComesFromTheVirtualSizeInTheName() {
        #expect(QueuedEnvelope.wireSize(fileName: "1700000000.M1P2Q3.host,S=100,W=104", storedSize: 100, prefixBytes: 10) == 114)
        #expect(QueuedEnvelope.wireSize(fileName: "legacy-name", storedSize: 100, prefixBytes: 0) == 100)
    }

    @Test func recordedRepliesBecomeRemoteReplies() {
        let reply = RemoteReplyProbe.parse("550 5.1.1 no such user")
        #expect(reply?.code == 550)
        #expect(RemoteReplyProbe.parse("message expired: not delivered") == nil)
    }
}

/// RemoteReply lives in DeliveryReports; the initialiser under test is this module's extension.
enum RemoteReplyProbe {
    static func parse(_ text: String) -> (code: Int, lines: [String])? {
        OutboundDelivery.recordedReply(text)
    }
}

@Suite struct RemoteMTANameTests {
    @Test func theHostNameOrTheAddressLiteral() {
        #expect(RecipientOutcomeProbe.host("mx.example.org[192.0.2.1]:25") == "mx.example.org")
        #expect(RecipientOutcomeProbe.host("[192.0.2.1]:2626") == "[192.0.2.1]")
    }
}

enum RecipientOutcomeProbe {
    static func host(_ peer: String) -> String { OutboundDelivery.remoteMTAName(ofPeer: peer) }
}
