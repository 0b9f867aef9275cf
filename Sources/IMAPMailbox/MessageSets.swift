import IMAPProtocol

/// Sequence and UID sets resolved to index ranges of a session's view (0-based, ascending,
/// merged), without ever listing every number: `1:*` of 100,000 messages is one range.
enum MessageSets {
    /// nil when a number is 0 or beyond the last message (Dovecot: "Invalid messageset").
    static func sequenceRanges(_ set: IMAPSequenceSet, count: Int) -> [ClosedRange<Int>]? {
        var ranges: [ClosedRange<Int>] = []
        for range in set.ranges {
            let a = Int(resolve(range.first, largest: UInt32(count))), b = Int(resolve(range.last, largest: UInt32(count)))
            guard min(a, b) >= 1, max(a, b) <= count else { return nil }
            ranges.append((min(a, b) - 1)...(max(a, b) - 1))
        }
        return merged(ranges)
    }

    /// RFC 3501 §6.4.8: UIDs that match no message are ignored; `n:*` always includes the last.
    static func uidRanges(_ set: IMAPSequenceSet, uids: [UInt32]) -> [ClosedRange<Int>] {
        guard let largest = uids.last else { return [] }
        var ranges: [ClosedRange<Int>] = []
        for range in set.ranges {
            let a = resolve(range.first, largest: largest), b = resolve(range.last, largest: largest)
            let low = lowerBound(uids, min(a, b))
            let high = upperBound(uids, max(a, b)) - 1
            if low <= high { ranges.append(low...high) }
        }
        return merged(ranges)
    }

    static func resolve(_ bound: IMAPSequenceSet.Bound, largest: UInt32) -> UInt32 {
        switch bound {
        case .number(let value): value
        case .last: largest
        }
    }

    static func lowerBound(_ uids: [UInt32], _ uid: UInt32) -> Int {
        var low = 0, high = uids.count
        while low < high {
            let middle = (low + high) / 2
            if uids[middle] < uid { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The first index whose UID is above `uid`.
    static func upperBound(_ uids: [UInt32], _ uid: UInt32) -> Int {
        var low = 0, high = uids.count
        while low < high {
            let middle = (low + high) / 2
            if uids[middle] <= uid { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func merged(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// A compact set for COPYUID/APPENDUID: runs of consecutive numbers as ranges, in order.
    static func compact(_ numbers: [UInt32]) -> IMAPSequenceSet {
        var ranges: [IMAPSequenceSet.Range] = []
        var start: UInt32?
        var previous: UInt32 = 0
        for number in numbers {
            if start != nil, number == previous &+ 1, number > previous {
                previous = number
                continue
            }
            if let first = start { ranges.append(IMAPSequenceSet.Range(.number(first), .number(previous))) }
            start = number
            previous = number
        }
        if let first = start { ranges.append(IMAPSequenceSet.Range(.number(first), .number(previous))) }
        return IMAPSequenceSet(ranges.map { $0.first == $0.last ? IMAPSequenceSet.Range($0.first) : $0 })
    }
}
