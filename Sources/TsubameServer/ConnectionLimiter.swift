import NIOConcurrencyHelpers
import TsubameConfig

/// Counts open connections, in total and per client IP, across all event loops.
final class ConnectionLimiter: Sendable {
    enum Refusal: Equatable {
        case total
        case perAddress
    }

    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    private let counts = NIOLockedValueBox(Counts())

    /// Takes a slot for `address`, or says which limit refuses it.
    func acquire(_ address: String, maximumTotal: Int, maximumPerAddress: Int) -> Refusal? {
        counts.withLockedValue { counts in
            guard counts.total < maximumTotal else { return .total }
            let current = counts.byAddress[address, default: 0]
            guard current < maximumPerAddress else { return .perAddress }
            counts.total += 1
            counts.byAddress[address] = current + 1
            return nil
        }
    }

    func release(_ address: String) {
        counts.withLockedValue { counts in
            counts.total -= 1
            let remaining = counts.byAddress[address, default: 1] - 1
            counts.byAddress[address] = remaining > 0 ? remaining : nil
        }
    }
}

/// One `ConnectionLimiter` per listener: each counts only its own connections, so a flood on
/// port 25 cannot take the slots of 587, 465, 110 or 995.
struct ListenerLimiters: Sendable {
    private let limiters: [ListenerName: ConnectionLimiter]

    init() {
        limiters = Dictionary(uniqueKeysWithValues: ListenerName.allCases.map { ($0, ConnectionLimiter()) })
    }

    subscript(listener: ListenerName) -> ConnectionLimiter {
        guard let limiter = limiters[listener] else { preconditionFailure("every listener has a limiter") }
        return limiter
    }
}
