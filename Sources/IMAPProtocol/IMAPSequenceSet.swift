/// sequence-set (RFC 3501 §9), with UID sets read the same way:
///     seq-number = nz-number / "*"
///     seq-range = seq-number ":" seq-number
///     sequence-set = (seq-number / seq-range) *("," sequence-set)
/// `$` (SEARCHRES, RFC 5182) is not supported yet.
public struct IMAPSequenceSet: Equatable, Sendable, Hashable {
    public enum Bound: Equatable, Sendable, Hashable {
        case number(UInt32)
        /// The largest number in use (RFC 3501 §9 `seq-number`).
        case last
    }

    public struct Range: Equatable, Sendable, Hashable {
        public var first: Bound
        public var last: Bound
        public init(_ first: Bound, _ last: Bound) {
            self.first = first
            self.last = last
        }
        public init(_ single: Bound) {
            self.init(single, single)
        }
    }

    public var ranges: [Range]

    public init(_ ranges: [Range]) {
        self.ranges = ranges
    }

    /// `1:*`
    public static let all = IMAPSequenceSet([Range(.number(1), .last)])

    /// Whether `number` is in the set when the largest number in use is `largest` (a range
    /// may be given in either order, RFC 3501 §9 "seq-range").
    public func contains(_ number: UInt32, largest: UInt32) -> Bool {
        ranges.contains { range in
            let a = range.first.resolved(largest), b = range.last.resolved(largest)
            return (min(a, b)...max(a, b)).contains(number)
        }
    }
}

extension IMAPSequenceSet.Bound {
    func resolved(_ largest: UInt32) -> UInt32 {
        switch self {
        case .number(let value): return value
        case .last: return largest
        }
    }
}
