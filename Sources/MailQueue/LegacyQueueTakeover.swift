import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// At start, takes over what the first queue format left in `DATA/queue/new/`: a message file
/// NAME and its envelope NAME.envelope ("sender ADDR" then one "recipient ADDR" per line).
///
/// Every step can be repeated after a crash: link NAME into messages/ (an existing link is
/// kept), fsync messages/, insert the rows unless the message is already queued, then unlink
/// the old name and the envelope and fsync new/. The message is in one place or both, never in
/// none.
public struct LegacyQueueTakeover {
    /// An envelope of the old format is a few lines per recipient; anything larger is not one.
    static let maximumEnvelopeSize = 1 << 20

    let folder: QueueFolder
    let store: any QueueStore

    public init(folder: QueueFolder, store: any QueueStore) {
        self.folder = folder
        self.store = store
    }

    /// Returns the ids of the messages taken over; leaves alone (and reports) what it cannot read.
    public func run(now: Date = Date()) throws -> (taken: [String], skipped: [String]) {
        guard let names = try? Self.names(in: folder.legacyNewPath) else { return ([], []) }
        let envelopes = names.filter { $0.hasSuffix(".envelope") && !$0.hasPrefix(".") }.sorted()
        guard !envelopes.isEmpty else { return ([], []) }
        try folder.createMessagesFolder()
        var taken: [String] = []
        var skipped: [String] = []
        for envelopeName in envelopes {
            let fileName = String(envelopeName.dropLast(".envelope".count))
            let oldMessage = "\(folder.legacyNewPath)/\(fileName)"
            let envelopePath = "\(oldMessage).envelope"
            guard let text = Self.read(envelopePath), let envelope = Self.parse(text),
                  let size = Self.fileSize(oldMessage) ?? Self.fileSize(folder.messagePath(fileName)) else {
                skipped.append(envelopeName)
                continue
            }
            if link(oldMessage, folder.messagePath(fileName)) != 0, errno != EEXIST, errno != ENOENT {
                throw QueueFileError(operation: "link", path: folder.messagePath(fileName), code: errno)
            }
            try FileSync.directory(folder.messagesPath)
            let id = Self.id(forFileName: fileName)
            if try store.entry(id: id) == nil {
                try store.enqueue(NewQueuedMessage(
                    id: id, fileName: fileName, reversePath: envelope.sender,
                    recipients: envelope.recipients.map { NewQueuedRecipient(address: $0) },
                    needs8BitMIME: false, needsSMTPUTF8: envelope.needsUTF8, size: size,
                    arrival: Self.modificationTime(folder.messagePath(fileName)) ?? now))
            }
            // The old name first: a crash before the envelope goes leaves a pair this takes over
            // again (from messages/), never a nameless file in new/.
            unlink(oldMessage)
            unlink(envelopePath)
            try FileSync.directory(folder.legacyNewPath)
            taken.append(id)
        }
        return (taken, skipped)
    }

    /// The Maildir base name (before ",S="), which was unique when the file was written.
    static func id(forFileName fileName: String) -> String {
        String(fileName.prefix { $0 != "," && $0 != ":" })
    }

    static func parse(_ text: String) -> (sender: String, recipients: [String], needsUTF8: Bool)? {
        var sender: String?
        var recipients: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("sender "), sender == nil {
                sender = String(line.dropFirst("sender ".count))
            } else if line == "sender" && sender == nil {
                sender = ""  // the null reverse path
            } else if line.hasPrefix("recipient ") {
                recipients.append(String(line.dropFirst("recipient ".count)))
            } else {
                return nil
            }
        }
        guard let sender, !recipients.isEmpty, recipients.count <= SQLiteQueueStore.maximumRecipients else {
            return nil
        }
        let needsUTF8 = !([sender] + recipients).allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        return (sender, recipients, needsUTF8)
    }

    static func read(_ path: String) -> String? {
        guard let size = fileSize(path), size <= maximumEnvelopeSize,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    static func modificationTime(_ path: String) -> Date? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
    }

    static func names(in path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path)
    }
}
