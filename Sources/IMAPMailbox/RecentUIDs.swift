/// The messages that are \Recent in one session (RFC 3501 §2.3.2). A session takes them in
/// runs, the tail of its message list at SELECT and each run of arrivals it notices, so they
/// are kept as UID ranges: FETCH 1:* FLAGS of 100,000 recent messages asks 100,000 times, and
/// a hashed set of 100,000 UIDs misses the CPU cache on every one.
///
/// A range may span UIDs the session does not have (expunged before it saw them); only UIDs
/// the session has are ever asked about, and `count` counts those.
struct RecentUIDs {
    /// Ascending and disjoint.
    private(set) var ranges: [ClosedRange<UInt32>] = []
    private(set) var count = 0

    /// Adds `run`, consecutive in the session's list right after `previousUID` (nil when
    /// the run starts the list) and above every UID held.
    mutating func add(run: ArraySlice<UInt32>, after previousUID: UInt32?) {
        guard let first = run.first, let last = run.last else { return }
        if let held = ranges.last, let previousUID, held.upperBound == previousUID {
            ranges[ranges.count - 1] = held.lowerBound...last
        } else {
            ranges.append(first...last)
        }
        count += run.count
    }

    func contains(_ uid: UInt32) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < uid { low = middle + 1 } else { high = middle }
        }
        return low < ranges.count && ranges[low].contains(uid)
    }

    /// The message left the session (expunged): true when it was recent.
    mutating func remove(_ uid: UInt32) -> Bool {
        guard contains(uid) else { return false }
        count -= 1
        return true
    }
}
