import IMAPProtocol
import NIOCore

/// One command's output, produced in pieces so a FETCH of a large mailbox or message never
/// sits in memory whole: the glue calls `writeNext` on a storage thread, writes the piece,
/// waits for the socket, and calls again until it returns true.
public final class IMAPCommandRun: @unchecked Sendable {
    init() {}

    /// Appends the next piece of encoded responses to `buffer`, stopping once about `budget`
    /// octets were added (a message literal may run past it); returns true when the tagged
    /// response was written. Blocking. A thrown error ends the session (`* BYE`).
    public func writeNext(into buffer: inout ByteBuffer, budget: Int) throws -> Bool {
        fatalError("IMAPMailbox: not built yet")
    }
}
