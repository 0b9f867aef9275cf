import ArgumentParser
import Foundation
import MailQueue
import TsubameServer

/// `tsubame queue list|show|flush|hold|release|delete|bounce`. They open `DATA/queue.sqlite`
/// beside the running server (WAL: readers and one writer at a time, the busy timeout waits for
/// it). flush, release and bounce then wake the server's scheduler through `DATA/queue/wake`, so
/// the change takes effect at once (the scheduler also reads the queue every second).
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Inspect and manage the outbound queue.",
        subcommands: [List.self, Show.self, Flush.self, Hold.self, Release.self, Delete.self, Bounce.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List queued messages and their recipients.")
        @Flag(help: "One JSON array, for scripts.") var json = false
        @OptionGroup var options: DataOption

        func run() throws {
            let entries = try options.openQueue().listEntries()
            if json { return try QueueJSON.print(entries.map(QueueJSON.entry)) }
            for entry in entries { print(QueueText.summary(entry)) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one message's envelope and each recipient's state.")
        @Argument(help: "The message id, as `queue list` and the log show it.") var id: String
        @Flag(help: "JSON instead of text.") var json = false
        @OptionGroup var options: DataOption

        func run() throws {
            guard let entry = try options.openQueue().entry(id: id) else { throw QueueError.noSuchMessage(id) }
            if json { return try QueueJSON.print(QueueJSON.entry(entry)) }
            print(QueueText.details(entry))
        }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make pending recipients due now instead of at their next retry time.",
            discussion: "Held messages stay held; their recipients are due as soon as they are released.")
        @Argument(help: "The message id; without it, every queued message.") var id: String?
        @OptionGroup var options: DataOption

        func run() throws {
            let queue = try options.openQueue()
            let due = try queue.flush(messageID: id, now: Date())
            options.wakeServer()
            print("\(due) recipient\(due == 1 ? "" : "s") due now")
            if let id, try queue.entry(id: id)?.message.held == true {
                print("\(id) is held: `tsubame queue release \(id)` lets it be sent")
            }
        }
    }

    struct Hold: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a message from being sent until released.")
        @Argument var id: String
        @OptionGroup var options: DataOption

        func run() throws {
            try options.openQueue().setHeld(true, messageID: id)
            print("held \(id)")
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a held message be sent again.")
        @Argument var id: String
        @OptionGroup var options: DataOption

        func run() throws {
            try options.openQueue().setHeld(false, messageID: id)
            options.wakeServer()
            print("released \(id)")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a message from the queue without a notice to its sender.")
        @Argument var id: String
        @OptionGroup var options: DataOption

        func run() throws {
            let fileName = try options.openQueue().delete(messageID: id)
            // Rows first, then the file: a crash between leaves an orphan file, not a dangling row.
            try QueueFolder(dataDirectory: options.folder.path).removeMessageFile(fileName)
            print("deleted \(id)")
        }
    }

    struct Bounce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on a message's pending recipients and return it to its sender.",
            discussion: """
                The running server fails them with "bounced by the administrator" at once and sends the sender a delivery status notification (RFC 3464). Recipients \
                being tried right now finish that attempt first.
                """)
        @Argument var id: String
        @OptionGroup var options: DataOption

        func run() throws {
            try options.openQueue().requestBounce(messageID: id)
            let told = options.wakeServer()
            print("\(id) will be returned to its sender \(told ? "now" : "at the server's next look at the queue")")
        }
    }
}

extension DataOption {
    func openQueue() throws -> SQLiteQueueStore {
        guard folder.exists else {
            throw ValidationError("\(folder.path) is not a Tsubame data folder; create it with `tsubame init` or `tsubame serve`")
        }
        try DataFolderOwner.become(of: folder.path)
        return try SQLiteQueueStore(path: QueueFolder.databasePath(dataDirectory: folder.path))
    }

    /// Tells a running server to look at the queue now; false when none is running.
    @discardableResult
    func wakeServer() -> Bool {
        QueueWakeFIFO(folder: QueueFolder(dataDirectory: folder.path)).notify()
    }
}
