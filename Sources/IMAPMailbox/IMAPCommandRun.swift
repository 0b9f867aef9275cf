import IMAPProtocol
import NIOCore

/// One command's output, produced in pieces so a FETCH of a large mailbox or message never
/// sits in memory whole: the glue calls `writeNext` on a storage thread, writes the piece,
/// waits for the socket, and calls again until it returns true.
public final class IMAPCommandRun: @unchecked Sendable {
    /// Produces the next responses into the buffer (about `budget` octets); true when the
    /// tagged response is among them.
    typealias Producer = (inout ByteBuffer, Int) throws -> Bool

    private var producer: Producer
    private var pending = ByteBuffer()
    private var produced = false
    private let cleanup: () -> Void
    private var cleanedUp = false

    init() {
        producer = { _, _ in true }
        cleanup = {}
    }

    init(cleanup: @escaping () -> Void = {}, producer: @escaping Producer) {
        self.producer = producer
        self.cleanup = cleanup
    }

    /// A run that answers a fixed list of responses.
    convenience init(responses: [IMAPResponse]) {
        self.init { buffer, _ in
            for response in responses { buffer.writeImmutableBuffer(IMAPResponseEncoder.encode(response)) }
            return true
        }
    }

    deinit { if !cleanedUp { cleanup() } }

    /// Appends the next piece of encoded responses to `buffer`, stopping once about `budget`
    /// octets were added (a message literal may run past it); returns true when the tagged
    /// response was written. Blocking. A thrown error ends the session (`* BYE`).
    public func writeNext(into buffer: inout ByteBuffer, budget: Int) throws -> Bool {
        let budget = max(budget, 1)
        var added = 0
        while added < budget {
            if pending.readableBytes > 0 {
                let count = min(pending.readableBytes, budget - added)
                var slice = pending.readSlice(length: count)!
                buffer.writeBuffer(&slice)
                added += count
                continue
            }
            if produced { break }
            var piece = ByteBuffer()
            do {
                produced = try producer(&piece, budget - added)
            } catch {
                finish()
                throw error
            }
            pending = piece
        }
        let done = produced && pending.readableBytes == 0
        if done { finish() }
        return done
    }

    private func finish() {
        guard !cleanedUp else { return }
        cleanedUp = true
        cleanup()
        producer = { _, _ in true }
    }
}
