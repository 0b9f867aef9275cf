import Foundation
import Testing
@testable import MailQueue

@Suite("Taking over the first queue format")
struct LegacyQueueTakeoverTests {
    func writeLegacy(_ fixture: QueueFixture, name: String, envelope: String, body: String = "Subject: q\n\nbody\n") throws {
        let new = fixture.folder.legacyNewPath
        try FileManager.default.createDirectory(atPath: new, withIntermediateDirectories: true)
        try Data(body.utf8).write(to: URL(fileURLWithPath: "\(new)/\(name)"))
        try Data(envelope.utf8).write(to: URL(fileURLWithPath: "\(new)/\(name).envelope"))
    }

    @Test func eachMessageAndEnvelopeBecomeOneEntryAndTheEnvelopeGoes() throws {
        let fixture = try QueueFixture()
        let name = "1700000000.M1P2Q3.mx,S=18,W=21"
        try writeLegacy(fixture, name: name, envelope: "sender a@example.net\nrecipient far@remote.example\nrecipient b@Other.example\n")
        let result = try LegacyQueueTakeover(folder: fixture.folder, store: fixture.store).run()
        #expect(result.taken == ["1700000000.M1P2Q3.mx"] && result.skipped.isEmpty)
        let entry = try #require(try fixture.store.entry(id: "1700000000.M1P2Q3.mx"))
        #expect(entry.message.reversePath == "a@example.net" && entry.message.size == 17)  // the file's, not the name's S=
        #expect(entry.recipients.map(\.address) == ["far@remote.example", "b@Other.example"])
        #expect(entry.recipients.map(\.destinationDomain) == ["remote.example", "other.example"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.folder.legacyNewPath).isEmpty)
        let moved = try String(contentsOfFile: fixture.folder.messagePath(name), encoding: .utf8)
        #expect(moved == "Subject: q\n\nbody\n")
    }

    @Test func runningAgainAfterACrashMidwayQueuesOnce() throws {
        let fixture = try QueueFixture()
        let name = "1.M1P1Q1.mx,S=18,W=21"
        try writeLegacy(fixture, name: name, envelope: "sender \nrecipient far@remote.example\n")
        // As if a first run linked the file and inserted the rows, then died before the unlinks.
        try fixture.folder.createMessagesFolder()
        #expect(link("\(fixture.folder.legacyNewPath)/\(name)", fixture.folder.messagePath(name)) == 0)
        _ = try LegacyQueueTakeover(folder: fixture.folder, store: fixture.store).run()
        try writeLegacy(fixture, name: name, envelope: "sender \nrecipient far@remote.example\n")
        _ = try LegacyQueueTakeover(folder: fixture.folder, store: fixture.store).run()
        #expect(try fixture.store.listEntries().count == 1)
        #expect(try fixture.store.entry(id: "1.M1P1Q1.mx")?.message.reversePath == "")
    }

    @Test func anUnreadableEnvelopeIsLeftInPlace() throws {
        let fixture = try QueueFixture()
        try writeLegacy(fixture, name: "2.M1.mx", envelope: "something else\n")
        let result = try LegacyQueueTakeover(folder: fixture.folder, store: fixture.store).run()
        #expect(result.taken.isEmpty && result.skipped == ["2.M1.mx.envelope"])
        #expect(try fixture.store.listEntries().isEmpty)
        #expect(FileManager.default.fileExists(atPath: "\(fixture.folder.legacyNewPath)/2.M1.mx.envelope"))
    }
}
