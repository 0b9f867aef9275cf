import Foundation
import Logging
import MailQueue
import NIOConcurrencyHelpers
import NIOPosix
@testable import OutboundDelivery
import Testing

/// `tsubame queue flush` and the running scheduler, through DATA/queue/wake.
@Suite struct QueueWakeListenerTests {
    let folder: QueueFolder
    let fifo: QueueWakeFIFO

    init() throws {
        let data = NSTemporaryDirectory() + "queue-wake-\(UUID().uuidString)"
        folder = QueueFolder(dataDirectory: data)
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        fifo = QueueWakeFIFO(folder: folder)
    }

    @Test func aCommandWakesTheRunningScheduler() async throws {
        #expect(!fifo.notify(), "no server has ever run: nobody to tell")
        let signal = WakeSignal()
        let wakes = NIOLockedValueBox(0)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let channel = try #require(await QueueWakeListener.start(fifo, on: loop, logger: Logger(label: "test")) {
            wakes.withLockedValue { $0 += 1 }
            signal.signal()
        })
        #expect(fifo.notify())
        let start = ContinuousClock.now
        await signal.wait(upTo: .seconds(30))
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(wakes.withLockedValue { $0 } >= 1)
        try await channel.close()
        #expect(!fifo.notify(), "the server stopped: its end of the FIFO is closed")
    }

    @Test func whateverHasTheNameIsReplacedByTheFIFO() throws {
        FileManager.default.createFile(atPath: fifo.path, contents: Data("stale".utf8))
        let descriptor = try fifo.openForReading()
        defer { close(descriptor) }
        var status = stat()
        #expect(lstat(fifo.path, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFIFO)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(fifo.notify())
        var byte: UInt8 = 0
        #expect(read(descriptor, &byte, 1) == 1)
        // Nothing more: a non-blocking read finds the pipe empty instead of waiting.
        #expect(read(descriptor, &byte, 1) == -1 && errno == EAGAIN)
    }
}
