import NIOConcurrencyHelpers

/// A gate that opens once. Waiters resume when it opens, or when their task is cancelled (so a
/// server that fails to start never leaves a service waiting for ever).
final class OneShotLatch: Sendable {
    private enum State {
        case closed(waiters: [Int: CheckedContinuation<Void, Never>], nextID: Int)
        case open
    }

    private let state = NIOLockedValueBox(State.closed(waiters: [:], nextID: 0))

    var isOpen: Bool {
        state.withLockedValue { if case .open = $0 { true } else { false } }
    }

    func open() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            guard case .closed(let waiters, _) = state else { return [] }
            state = .open
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns true once the latch is open, false if the task was cancelled first.
    func wait() async -> Bool {
        let id: Int? = state.withLockedValue { state in
            guard case .closed(let waiters, let nextID) = state else { return nil }
            state = .closed(waiters: waiters, nextID: nextID + 1)
            return nextID
        }
        guard let id else { return true }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    guard case .closed(var waiters, let nextID) = state, !Task.isCancelled else { return true }
                    waiters[id] = continuation
                    state = .closed(waiters: waiters, nextID: nextID)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                guard case .closed(var waiters, let nextID) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .closed(waiters: waiters, nextID: nextID)
                return waiter
            }
            waiter?.resume()
        }
        return isOpen
    }
}
