import Logging
import MailQueue

/// Opens `DATA/queue.sqlite` at start, before any listener accepts: messages a crash left in
/// flight go back to pending (their next attempt stays where their claim put it, so nothing is
/// re-sent in a burst), and the first format's `queue/new/NAME` + `NAME.envelope` pairs become
/// queue entries.
enum OutboundQueueStartup {
    static func open(dataDirectory: String, schedule: RetrySchedule = RetrySchedule(), logger: Logger) throws -> SQLiteQueueStore {
        let store = try SQLiteQueueStore(path: QueueFolder.databasePath(dataDirectory: dataDirectory), schedule: schedule)
        let recovered = try store.recoverInterrupted()
        if recovered > 0 { logger.notice("queue: recipients in flight at the last stop are pending again",
                                         metadata: ["count": "\(recovered)"]) }
        let takeover = try LegacyQueueTakeover(folder: QueueFolder(dataDirectory: dataDirectory), store: store).run()
        if !takeover.taken.isEmpty {
            logger.notice("queue: took over messages of the old queue/new format",
                          metadata: ["count": "\(takeover.taken.count)"])
        }
        for name in takeover.skipped {
            logger.warning("queue: an old envelope file could not be read; left in place", metadata: ["file": "\(name)"])
        }
        return store
    }
}
